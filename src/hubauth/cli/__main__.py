from hubauth.cli.main import cli

cli()
