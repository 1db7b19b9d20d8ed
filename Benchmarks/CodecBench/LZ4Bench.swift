import LanceKernels

func benchLZ4(_ files: [String]) { print("lz4 bench not implemented yet") }
