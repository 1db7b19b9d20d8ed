import ArgumentParser
import Lance
import LanceArrow
import LanceCore

/// `lancelet add-columns URI --sql 'name=EXPR' … | --null name:type …`
struct AddColumnsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add-columns",
        abstract: "Add columns computed by SQL expressions, or all-null columns, in a new version.")

    @Argument(help: "Dataset path or file:// URI.")
    var uri: String

    @Option(name: .long, help: "A new column as `name=EXPR` (repeatable), e.g. `ratio=CAST(width AS DOUBLE) / height`.")
    var sql: [String] = []

    @Option(name: .long, help: "A new all-null column as `name:type` (repeatable; metadata only).")
    var null: [String] = []

    func validate() throws {
        if sql.isEmpty == null.isEmpty { throw ValidationError("give either --sql or --null (one or more times)") }
        for s in sql { _ = try EvolveCLI.pair(s, separator: "=", option: "--sql") }
        for s in null { _ = try EvolveCLI.parseType(try EvolveCLI.pair(s, separator: ":", option: "--null").1) }
    }

    func run() async throws {
        try await runReportingErrors {
            let ds = try await Dataset.open(uri)
            let out: Dataset
            if !sql.isEmpty {
                out = try await ds.addColumns(sql: try sql.map { s in
                    let (n, e) = try EvolveCLI.pair(s, separator: "=", option: "--sql")
                    return (n, e)
                })
            } else {
                out = try await ds.addColumns(nulls: try null.map { s in
                    let (n, t) = try EvolveCLI.pair(s, separator: ":", option: "--null")
                    return Field(n, try EvolveCLI.parseType(t), nullable: true)
                })
            }
            EvolveCLI.report([("version", .int(Int64(out.version))),
                              ("columns", .array(out.schema.fields.map { .string($0.name) }))])
        }
    }
}

/// `lancelet alter-columns URI --rename old:new | --nullable col | --cast col:type …`
struct AlterColumnsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alter-columns",
        abstract: "Rename columns, make them nullable, or cast them, in a new version.")

    @Argument(help: "Dataset path or file:// URI.")
    var uri: String

    @Option(name: .long, help: "Rename a column: `old:new` (repeatable; `a.b:c` renames a nested field).")
    var rename: [String] = []

    @Option(name: .long, help: "Make a column nullable (repeatable).")
    var nullable: [String] = []

    @Option(name: .long, help: "Cast a column: `col:type`, within integers, within floats, string ↔ large_string, binary ↔ large_binary.")
    var cast: [String] = []

    func alterations() throws -> [ColumnAlteration] {
        var out: [ColumnAlteration] = []
        for r in rename {
            let (a, b) = try EvolveCLI.pair(r, separator: ":", option: "--rename")
            out.append(ColumnAlteration(a, rename: b))
        }
        for n in nullable { out.append(ColumnAlteration(n.trimmingSpaces(), nullable: true)) }
        for c in cast {
            let (a, t) = try EvolveCLI.pair(c, separator: ":", option: "--cast")
            out.append(ColumnAlteration(a, dataType: try EvolveCLI.parseType(t)))
        }
        return out
    }

    func validate() throws {
        if try alterations().isEmpty { throw ValidationError("give at least one of --rename, --nullable, --cast") }
    }

    func run() async throws {
        try await runReportingErrors {
            let out = try await Dataset.open(uri).alterColumns(try alterations())
            EvolveCLI.report([("version", .int(Int64(out.version))),
                              ("columns", .array(out.schema.fields.map { .string($0.name) }))])
        }
    }
}

/// `lancelet drop-columns URI col…`
struct DropColumnsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drop-columns", abstract: "Drop columns in a new version (metadata only).")

    @Argument(help: "Dataset path or file:// URI.")
    var uri: String

    @Argument(help: "Columns to drop.")
    var columns: [String]

    func validate() throws {
        if columns.isEmpty { throw ValidationError("name at least one column to drop") }
    }

    func run() async throws {
        try await runReportingErrors {
            let out = try await Dataset.open(uri).dropColumns(columns)
            EvolveCLI.report([("version", .int(Int64(out.version))),
                              ("columns", .array(out.schema.fields.map { .string($0.name) }))])
        }
    }
}

/// `lancelet merge URI --from FILE --on key`
struct MergeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join another table's columns onto the dataset by a key column (left join) in a new version.")

    @Argument(help: "Dataset path or file:// URI.")
    var uri: String

    @Option(name: .long, help: "The table to merge: an Arrow IPC file (.arrow) or JSON lines (.jsonl).")
    var from: String

    @Option(name: .long, help: "The key column, present on both sides.")
    var on: String

    func run() async throws {
        try await runReportingErrors {
            let ds = try await Dataset.open(uri)
            let rows = try EvolveCLI.readRows(from, like: ds.schema)
            let out = try await ds.merge(rows, on: on)
            EvolveCLI.report([("version", .int(Int64(out.version))),
                              ("columns", .array(out.schema.fields.map { .string($0.name) }))])
        }
    }
}

/// `lancelet update URI [--where SQL] --set 'col=EXPR' …`
struct UpdateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update", abstract: "Set columns to SQL expressions in the rows matching a filter.")

    @Argument(help: "Dataset path or file:// URI.")
    var uri: String

    @Option(name: .long, help: "SQL filter of the rows to update (all rows when omitted).")
    var `where`: String?

    @Option(name: .long, help: "`col=EXPR` (repeatable); EXPR sees the row's old values.")
    var set: [String] = []

    func validate() throws {
        if set.isEmpty { throw ValidationError("give at least one --set col=EXPR") }
        for s in set { _ = try EvolveCLI.pair(s, separator: "=", option: "--set") }
    }

    func run() async throws {
        try await runReportingErrors {
            let assignments = try set.map { s -> (column: String, expression: String) in
                let (c, e) = try EvolveCLI.pair(s, separator: "=", option: "--set")
                return (c, e)
            }
            let r = try await Dataset.open(uri).update(where: `where`, set: assignments)
            EvolveCLI.report([("version", .int(Int64(r.dataset.version))), ("num_updated_rows", .int(Int64(r.updatedRows)))])
        }
    }
}

/// `lancelet merge-insert URI --from FILE --on key [--update-all] [--insert-all] [--delete-not-matched]`
struct MergeInsertCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge-insert", abstract: "Upsert rows by a key column.")

    @Argument(help: "Dataset path or file:// URI.")
    var uri: String

    @Option(name: .long, help: "The source rows (every column of the dataset): .arrow or .jsonl.")
    var from: String

    @Option(name: .long, help: "The key column.")
    var on: String

    @Flag(name: .long, help: "Replace the rows whose key is in the source.")
    var updateAll = false

    @Flag(name: .long, help: "Insert the source rows whose key is not in the dataset.")
    var insertAll = false

    @Flag(name: .long, help: "Delete the rows whose key is not in the source.")
    var deleteNotMatched = false

    func validate() throws {
        if !updateAll && !insertAll && !deleteNotMatched {
            throw ValidationError("give at least one of --update-all, --insert-all, --delete-not-matched")
        }
    }

    func run() async throws {
        try await runReportingErrors {
            let ds = try await Dataset.open(uri)
            let rows = try EvolveCLI.readRows(from, like: ds.schema)
            let r = try await ds.mergeInsert(rows, on: on, whenMatchedUpdateAll: updateAll, whenNotMatchedInsertAll: insertAll,
                                             whenNotMatchedBySourceDelete: deleteNotMatched)
            EvolveCLI.report([("version", .int(Int64(r.dataset.version))), ("num_inserted_rows", .int(Int64(r.insertedRows))),
                              ("num_updated_rows", .int(Int64(r.updatedRows))), ("num_deleted_rows", .int(Int64(r.deletedRows)))])
        }
    }
}
