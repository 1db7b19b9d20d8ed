import LanceKernels

func benchZstd(_ files: [String]) { print("zstd bench not implemented yet") }
