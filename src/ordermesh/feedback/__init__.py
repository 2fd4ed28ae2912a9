"""Customer feedback: requests after delivery with single-use links, the public answer
page, feedback from agents and channels, and what it all says (sentiment, topics, trends,
alerts)."""
