"""Services and pure domain logic. Never imports streamlit."""
