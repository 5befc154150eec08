"""tests/engine runs inside the engine environment (Rasa 3.6, spaCy 3.4) only.

    cd /work/main && PYTHONPATH=/work/main .venv/engine/bin/python -m pytest tests/engine -q -p no:cacheprovider

In the app environment (no rasa) the whole directory is left out of collection.
"""

import importlib.util

collect_ignore_glob = [] if importlib.util.find_spec("rasa") else ["test_*.py"]
