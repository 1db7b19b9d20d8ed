import ArgumentParser
import Foundation
import Lance
import LanceArrow
import LanceCore
import LanceFile

/// Options of `create`, `append` and `overwrite`.
struct WriteArguments: ParsableArguments {
    @Argument(help: "Dataset path or file:// URI.")
    var uri: String

    @Option(name: .long, help: "Input: an Arrow IPC file or stream (.arrow/.arrows/.feather) or JSON lines (.jsonl); `-` reads standard input.")
    var from: String

    @Option(name: .long, help: "Input format when the file name does not tell: arrow or jsonl.")
    var inputFormat: InputFormat?

    @Option(name: .long, help: "Schema of JSON lines input (a JSON file; `lancelet info --json` output works). Default: the dataset's schema when appending, else inferred from the first batch of lines.")
    var schema: String?

    @Option(name: .long, help: "Lance file version of a new dataset: 2.0, 2.1 or 2.2 (default 2.2).")
    var dataStorageVersion: String?

    @Option(name: .long, help: "Rows per data file (default 1048576).")
    var maxRowsPerFile: Int?

    @Option(name: .long, help: "JSON lines per record batch.")
    var batchRows: Int = 8192

    @Flag(name: .long, help: "Give rows stable row ids (new datasets only).")
    var enableStableRowIds = false

    @Flag(name: .long, help: "Print the result as one JSON object.")
    var json = false

    func validate() throws {
        if let n = maxRowsPerFile, n <= 0 { throw ValidationError("--max-rows-per-file must be positive") }
        if batchRows <= 0 { throw ValidationError("--batch-rows must be positive") }
        if let v = dataStorageVersion, WriteArguments.fileVersion(v) == nil {
            throw ValidationError("--data-storage-version must be 2.0, 2.1 or 2.2")
        }
    }

    static func fileVersion(_ s: String) -> FileVersion? {
        switch s {
        case "2.0", "0.3", "legacy-v2": return .v2_0
        case "2.1": return .v2_1
        case "2.2", "stable": return .v2_2
        default: return nil
        }
    }

    func run(mode: WriteMode) async throws {
        try await runReportingErrors {
            var options = WriteOptions(mode: mode)
            if let v = dataStorageVersion { options.dataStorageVersion = WriteArguments.fileVersion(v)! }
            if let n = maxRowsPerFile { options.maxRowsPerFile = n }
            options.enableStableRowIds = enableStableRowIds
            var given: Schema?
            if let schema {
                let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: schema)))
                given = try JSONLImport.parseSchemaFile(bytes)
            } else if mode == .append, let existing = try? await Dataset.open(uri) {
                given = existing.schema
            }
            let reader = try ImportReader(path: from, format: inputFormat, schema: given, batchRows: batchRows)
            let ds = try await Dataset.create(at: uri, schema: reader.schema, batches: reader.batches, options: options)
            var out = StdoutWriter()
            if json {
                out.write("{\"version\":\(ds.version),\"rows_written\":\(reader.rows)}\n")
            } else {
                let verb = mode == .append ? "appended" : mode == .overwrite ? "overwrote with" : "created with"
                out.write("\(ds.uri): \(verb) \(reader.rows) rows, version \(ds.version)\n")
            }
            try out.flush()
        }
    }
}

/// `lancelet create`: a new dataset from Arrow IPC or JSON lines.
struct CreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a dataset from an Arrow IPC or JSON lines file.")

    @OptionGroup var args: WriteArguments

    @Option(name: .long, help: "create (fail if the dataset exists), append or overwrite.")
    var mode: CLIWriteMode = .create

    func run() async throws { try await args.run(mode: mode.writeMode) }
}

/// `lancelet append`: adds rows as new fragments (creates the dataset when missing).
struct AppendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "append", abstract: "Append rows to a dataset.")
    @OptionGroup var args: WriteArguments
    func run() async throws { try await args.run(mode: .append) }
}

/// `lancelet overwrite`: replaces the content in a new version.
struct OverwriteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "overwrite",
                                                    abstract: "Replace a dataset's rows in a new version.")
    @OptionGroup var args: WriteArguments
    func run() async throws { try await args.run(mode: .overwrite) }
}

enum CLIWriteMode: String, ExpressibleByArgument, CaseIterable {
    case create, append, overwrite
    var writeMode: WriteMode {
        switch self {
        case .create: return .create
        case .append: return .append
        case .overwrite: return .overwrite
        }
    }
}
