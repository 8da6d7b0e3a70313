from popcon.cli.app import main

main()
