import ArgumentParser
import Lance
import LanceCore
import LanceFile

/// `lancelet info`: versions, tags, indices, fragments and schema of a dataset.
struct InfoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Describe a dataset.")

    @OptionGroup var dataset: DatasetOptions

    @Flag(name: .long, help: "Print one JSON object.")
    var json = false

    func run() async throws {
        try await runReportingErrors {
            let ds = try await dataset.open()
            let report = try await InfoReport(ds)
            var out = StdoutWriter()
            out.write(json ? report.json() + "\n" : report.text())
            try out.flush()
        }
    }
}

/// Everything `info` prints, gathered once.
struct InfoReport {
    let dataset: Dataset
    let count: Int
    let versions: [VersionInfo]
    let tags: [Tag]
    let indices: [IndexInfo]

    init(_ ds: Dataset) async throws {
        dataset = ds
        count = try await ds.countRows()
        versions = try await ds.versions()
        tags = try await ds.tags()
        indices = try ds.indices()
    }

    static func str(_ s: String) -> String { ValueText.jsonString(s) }

    static func fileVersion(_ v: FileVersion) -> String { "\(v.major).\(v.minor)" }

    func json() -> String {
        let s = InfoReport.str
        var parts: [String] = []
        parts.append("\"count\":\(count)")
        parts.append("\"version\":\(dataset.version)")
        parts.append("\"data_storage_version\":\(s(dataset.dataStorageVersion))")
        parts.append("\"versions\":[" + versions.map {
            "{\"version\":\($0.version),\"timestamp\":\(s($0.timestamp.rfc3339))}"
        }.joined(separator: ",") + "]")
        parts.append("\"tags\":{" + tags.map { "\(s($0.name)):\($0.version)" }.joined(separator: ",") + "}")
        parts.append("\"indices\":[" + indices.map { i in
            "{\"name\":\(s(i.name)),\"type\":\(s(i.type)),\"fields\":[" + i.fields.map(s).joined(separator: ",")
                + "],\"uuid\":\(s(i.uuid))}"
        }.joined(separator: ",") + "]")
        parts.append("\"fragments\":[" + dataset.fragments.map { f in
            "{\"id\":\(f.id),\"physical_rows\":\(f.physicalRows),\"deleted_rows\":\(f.deletedRows),\"files\":["
                + f.files.map { d in
                    "{\"path\":\(s(d.path)),\"fields\":[" + d.fields.map(String.init).joined(separator: ",")
                        + "],\"file_version\":\(s(InfoReport.fileVersion(d.fileVersion)))}"
                }.joined(separator: ",") + "]}"
        }.joined(separator: ",") + "]")
        parts.append("\"schema\":[" + dataset.schema.fields.map { f in
            "{\"name\":\(s(f.name)),\"type\":\(s(f.type.description)),\"nullable\":\(f.nullable)}"
        }.joined(separator: ",") + "]")
        return "{" + parts.joined(separator: ",") + "}"
    }

    func text() -> String {
        var lines: [String] = []
        lines.append("dataset:  \(dataset.uri)")
        lines.append("version:  \(dataset.version) (\(dataset.timestamp.rfc3339)), data storage version \(dataset.dataStorageVersion)")
        lines.append("rows:     \(count) in \(dataset.fragments.count) fragment(s)")
        lines.append("versions: " + versions.map { "\($0.version)" }.joined(separator: ", "))
        if !tags.isEmpty {
            lines.append("tags:     " + tags.map { "\($0.name) → \($0.version)" }.joined(separator: ", "))
        }
        lines.append("schema:")
        for f in dataset.schema.fields {
            lines.append("  \(f.name): \(f.type)\(f.nullable ? "" : " not null")")
        }
        if !indices.isEmpty {
            lines.append("indices:")
            for i in indices { lines.append("  \(i.name): \(i.type) on \(i.fields.joined(separator: ", ")) (\(i.uuid))") }
        }
        lines.append("fragments:")
        for f in dataset.fragments {
            let del = f.deletedRows > 0 ? ", \(f.deletedRows) deleted" : ""
            lines.append("  \(f.id): \(f.physicalRows) rows\(del), \(f.files.count) file(s)")
            for d in f.files {
                lines.append("    \(d.path) (v\(InfoReport.fileVersion(d.fileVersion)), fields \(d.fields.map(String.init).joined(separator: ",")))")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
