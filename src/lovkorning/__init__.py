"""lovkorning: the monthly LOV settlement run for hemtjänst."""

__version__ = "0.1.0"
