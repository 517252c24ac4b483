from prefrank.cli import main

raise SystemExit(main())
