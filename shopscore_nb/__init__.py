"""shopscore_nb — recompute a Douyin shop's 商家体验分 and every indicator behind it from its exports."""
from .loading import LoadError
from .shop import ShopData, list_shops, load_shop

__all__ = ["LoadError", "ShopData", "list_shops", "load_shop"]
__version__ = "0.1.0"
