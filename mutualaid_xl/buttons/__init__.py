"""One module per ribbon button: the add-in ``mutualaid_xl.buttons.<name>.xlam`` runs
``mutualaid_xl.buttons.<name>.main()`` (xlwings' template imports the module named like the
add-in file). Each module only names its handler in ``mutualaid_xl.ribbon``."""
