import ArgumentParser
import Foundation
import Lance
import LanceCore

/// `lancelet versions`: every version with its timestamp and metadata.
struct VersionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "versions", abstract: "List a dataset's versions.")

    @Argument(help: "Dataset path or file:// URI.")
    var uri: String

    @Flag(name: .long, help: "Print a JSON array of {version, timestamp, metadata}.")
    var json = false

    func run() async throws {
        try await runReportingErrors {
            let ds = try await Dataset.open(uri)
            let versions = try await ds.versions()
            var out = StdoutWriter()
            let s = ValueText.jsonString
            if json {
                out.write("[" + versions.map { v in
                    "{\"version\":\(v.version),\"timestamp\":\(s(v.timestamp.rfc3339)),\"metadata\":{"
                        + v.metadata.sorted { $0.key < $1.key }.map { "\(s($0.key)):\(s($0.value))" }.joined(separator: ",")
                        + "}}"
                }.joined(separator: ",") + "]\n")
            } else {
                for v in versions {
                    let rows = v.metadata["total_rows"].map { "  \($0) rows" } ?? ""
                    out.write("\(v.version)  \(v.timestamp.rfc3339)\(rows)\n")
                }
            }
            try out.flush()
        }
    }
}

/// `lancelet tags list|create|update|delete`.
struct TagsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tags", abstract: "List, create, move and delete tags.",
        subcommands: [List.self, Create.self, Update.self, Delete.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List tags.")
        @Argument(help: "Dataset path or file:// URI.") var uri: String
        @Flag(name: .long, help: "Print one JSON object {name: version}.") var json = false

        func run() async throws {
            try await runReportingErrors {
                let tags = try await Dataset.open(uri).tags()
                var out = StdoutWriter()
                if json {
                    out.write("{" + tags.map { "\(ValueText.jsonString($0.name)):\($0.version)" }.joined(separator: ",") + "}\n")
                } else {
                    for t in tags { out.write("\(t.name)\t\(t.version)\n") }
                }
                try out.flush()
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a tag (default: the latest version).")
        @Argument(help: "Dataset path or file:// URI.") var uri: String
        @Argument(help: "Tag name.") var name: String
        @Option(name: .long, help: "Version to tag (default: latest).") var version: UInt64?

        func run() async throws {
            try await runReportingErrors {
                let ds = try await Dataset.open(uri)
                try await ds.createTag(name, version: version ?? ds.version)
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "update", abstract: "Point a tag at another version.")
        @Argument(help: "Dataset path or file:// URI.") var uri: String
        @Argument(help: "Tag name.") var name: String
        @Option(name: .long, help: "Version to point at.") var version: UInt64

        func run() async throws {
            try await runReportingErrors {
                try await Dataset.open(uri).updateTag(name, version: version)
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a tag.")
        @Argument(help: "Dataset path or file:// URI.") var uri: String
        @Argument(help: "Tag name.") var name: String

        func run() async throws {
            try await runReportingErrors {
                try await Dataset.open(uri).deleteTag(name)
            }
        }
    }
}

/// `lancelet restore URI VERSION` (or `--version N`): makes an old version the latest, as a new version.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restore",
                                                    abstract: "Commit an old version's content as a new version.")
    @Argument(help: "Dataset path or file:// URI.") var uri: String
    @Argument(help: "Version to restore.") var target: UInt64?
    @Option(name: .customLong("version"), help: "Version to restore.") var versionOption: UInt64?

    func validate() throws {
        if (target == nil) == (versionOption == nil) { throw ValidationError("give the version to restore once: VERSION or --version N") }
    }

    func run() async throws {
        try await runReportingErrors {
            let ds = try await Dataset.open(uri)
            let new = try await ds.restore(target ?? versionOption!)
            var out = StdoutWriter()
            out.write("restored version \(target ?? versionOption!) as version \(new.version)\n")
            try out.flush()
        }
    }
}

/// `lancelet cleanup`: deletes old versions and the files only they used.
struct CleanupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cleanup",
        abstract: "Delete versions older than a duration (keeping the latest, the newest --keep and tagged ones) and files no kept version needs.")
    @Argument(help: "Dataset path or file:// URI.") var uri: String
    @Option(name: .long, help: "Age like 30s, 15m, 12h, 7d, 2w (default 14d; 0 = everything but the kept versions).")
    var olderThan: String = "14d"
    @Option(name: .long, help: "Always keep this many newest versions (at least 1).") var keep: Int = 1
    @Flag(name: .long, help: "Print the result as JSON.") var json = false

    func validate() throws {
        if CleanupCommand.seconds(olderThan) == nil { throw ValidationError("--older-than: expected a duration like 7d, 12h, 30m, 45s") }
        if keep < 1 { throw ValidationError("--keep must be at least 1") }
    }

    /// Seconds in a duration `N[smhdw]` (no unit: seconds).
    static func seconds(_ s: String) -> Double? {
        let t = s.trimmingSpaces().lowercased()
        guard let last = t.last else { return nil }
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604_800]
        if let u = units[last] {
            guard let v = Double(t.dropLast()), v >= 0 else { return nil }
            return v * u
        }
        guard let v = Double(t), v >= 0 else { return nil }
        return v
    }

    func run() async throws {
        try await runReportingErrors {
            let ds = try await Dataset.open(uri)
            let cutoff = Date(timeIntervalSinceNow: -CleanupCommand.seconds(olderThan)!)
            let stats = try await ds.cleanupOldVersions(olderThan: cutoff, keep: keep)
            var out = StdoutWriter()
            if json {
                out.write("{\"removed_versions\":[" + stats.removedVersions.map(String.init).joined(separator: ",")
                          + "],\"removed_files\":\(stats.removedFiles),\"removed_bytes\":\(stats.removedBytes)}\n")
            } else {
                out.write("removed \(stats.removedVersions.count) version(s), \(stats.removedFiles) file(s), \(stats.removedBytes) bytes\n")
            }
            try out.flush()
        }
    }
}
