"""The config (contract §2): YAML → validated pydantic model (`load`), and nothing else.

schema: the models; yamlfile: strict YAML and `extends`; messages: pydantic's errors in Swedish;
checks: checks across keys; rates: effective-dated rates; insatser: which insatser the rules pay;
loaded: `load` and `LoadedConfig`, the config with its origin and resolved paths.
"""

from .loaded import LoadedConfig, config_path, load

__all__ = ["LoadedConfig", "config_path", "load"]
