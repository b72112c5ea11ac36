"""Domain-adaptive pre-training: continue an encoder's masked-language-model
training on unlabelled text, in the process or on Ray Train workers."""
