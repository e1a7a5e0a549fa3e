"""Highlighting for editors and docs: one vocabulary, read from the grammar and the model.

``vocabulary`` derives every keyword list from grammar/archlang.lark (its keyword terminals,
sorted by the rule that uses them) and the model's property tables; ``pygments_lexer``
(registered as the ``pygments.lexers`` entry point ``archlang``) and ``textmate`` (the
grammar in editors/vscode) are built from it, so neither can drift from the language.
"""
