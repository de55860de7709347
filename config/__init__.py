from config.intents import IntentDef, IntentsError, IntentSet, load_intents  # noqa: F401
from config.settings import *  # noqa: F401,F403
from config.settings import __all__  # noqa: F401
