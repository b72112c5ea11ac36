__title__ = "spacy-bert-components"
__version__ = "0.1.0"
