"""The local web page `mutualaid app` (adapter): the ribbon's actions in a browser, for WPS users
and every clerk without the Excel add-in. It calls the same services as the CLI and the ribbon."""
