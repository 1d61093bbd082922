# The notebook-testing machinery (start method, leak check) is a pytest plugin
# in tests/nbplugin.py. Loading it from the repository root makes it apply to
# the notebooks in book/ as well as to the unit tests in tests/.
pytest_plugins = ["tests.nbplugin", "pytester"]
