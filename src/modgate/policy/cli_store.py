"""Store-backed ``modgate policy`` commands (filled in with the store and backtest)."""
