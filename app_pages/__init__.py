"""Streamlit pages. Modules starting with an underscore are shared UI helpers,
not pages; Home.py's st.navigation lists the pages each role may open.

The folder is deliberately not called `pages/`: Streamlit treats a `pages/`
folder beside the entrypoint as a legacy multipage app and, until some run has
called st.navigation, serves its files directly by URL — without Home.py's
sign-in and role check.
"""
