"""Channel connectors: shop platforms (Shopify first) sending orders in and hearing back."""
