"""Package data: the shipped demonstration checkpoint (``demo_model/``) and the corpus its tokenizers are trained on.

Its provenance and training recipe live outside the package, in ``tools/train_demo_model.py``; nothing here is code.
"""
