"""Front ends: model files and estimators -> IR graph."""
