"""Notification rendering and delivery channels (email, Telegram, Discord). No UI imports here."""
