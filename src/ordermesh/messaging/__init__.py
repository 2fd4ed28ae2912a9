"""Messaging customers: transactional e-mails driven by events, rendered from templates
in the customer's language, sent over SMTP at least once, every one recorded."""
