"""Practice templates: the schema and loading of the files in the top-level forms/ folder."""
