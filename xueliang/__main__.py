from xueliang.cli import main

main()
