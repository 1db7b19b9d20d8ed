#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
// codec-bench: decode throughput of the pure-Swift codecs on the given files.
// Usage: swift run -c release codec-bench zstd|lz4 FILE...  (see BENCHMARKS.md)
let args = Array(CommandLine.arguments.dropFirst())
guard let which = args.first else {
    print("usage: codec-bench zstd|lz4 FILE...")
    exit(2)
}
switch which {
case "zstd": benchZstd(Array(args.dropFirst()))
case "lz4": benchLZ4(Array(args.dropFirst()))
default:
    print("unknown codec \(which)")
    exit(2)
}
