"""Streamlit pages. Modules starting with an underscore are shared UI helpers,
not pages; Home.py's st.navigation lists the pages each role may open."""
