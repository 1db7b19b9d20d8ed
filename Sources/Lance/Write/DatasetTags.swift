import Foundation
import LanceCore
import LanceIO
import LanceProto

extension Dataset {
    // MARK: - Tags

    /// Creates tag `name` for `version` (`_refs/tags/<name>.json`, camelCase as pylance 14 writes).
    /// Throws `alreadyExists` if the tag exists, `notFound` if the version does not.
    public func createTag(_ name: String, version: UInt64) async throws {
        try Dataset.checkTagName(name)
        let json = try await tagJSON(version: version, createdAt: nil)
        let path = Tag.directory + "/" + name + ".json"
        guard try await store.putIfAbsent(path, json) else {
            throw LanceError(.alreadyExists, "tag `\(name)` already exists", path: path)
        }
    }

    /// Points an existing tag at another version. Throws `notFound` if the tag or version does not exist.
    public func updateTag(_ name: String, version: UInt64) async throws {
        try Dataset.checkTagName(name)
        let path = Tag.directory + "/" + name + ".json"
        let old = try await store.read(path).bytes
        let created = (try? JSONSerialization.jsonObject(with: Data(old)) as? [String: Any])?["createdAt"] as? String
        try await store.put(path, try await tagJSON(version: version, createdAt: created))
    }

    /// Deletes a tag. Throws `notFound` if it does not exist.
    public func deleteTag(_ name: String) async throws {
        try Dataset.checkTagName(name)
        let path = Tag.directory + "/" + name + ".json"
        guard try await store.exists(path) else { throw LanceError.notFound("tag `\(name)` does not exist", path: path) }
        try await store.delete(path)
    }

    static func checkTagName(_ name: String) throws {
        guard !name.isEmpty, !name.contains("/"), !name.hasPrefix("."), !name.contains("..") else {
            throw LanceError.invalid("invalid tag name `\(name)`")
        }
    }

    func tagJSON(version: UInt64, createdAt: String?) async throws -> [UInt8] {
        let manifests = try await ManifestFile.list(store, base: "")
        guard let path = manifests[version] else {
            throw LanceError.notFound("version \(version) does not exist", path: uri)
        }
        let size = try await store.size(path) ?? 0
        let now = VersionTimestamp(nowTimestamp())
        let nowText = String(now.rfc3339.dropLast()) + String(format: "%03dZ", Int(now.nanos) % 1000)
        let created = createdAt ?? nowText
        let text = """
        {
          "branch": null,
          "version": \(version),
          "createdAt": "\(created)",
          "updatedAt": "\(nowText)",
          "manifestSize": \(size),
          "metadata": {}
        }
        """
        return Array(text.utf8)
    }

    // MARK: - Cleanup

    /// What ``cleanupOldVersions(olderThan:keep:)`` removed.
    public struct CleanupStats: Sendable, Hashable {
        public var removedVersions: [UInt64] = []
        public var removedFiles = 0
        public var removedBytes: UInt64 = 0
    }

    /// Deletes manifests of versions committed before `olderThan` — except the latest version,
    /// the newest `keep` versions and tagged versions — then the data, deletion and transaction
    /// files no remaining version references and that are older than `olderThan` (files of
    /// commits in progress are newer and stay).
    @discardableResult
    public func cleanupOldVersions(olderThan cutoff: Date, keep: Int = 1) async throws -> CleanupStats {
        var stats = CleanupStats()
        let manifests = try await ManifestFile.list(store, base: "")
        let versionsDesc = manifests.keys.sorted(by: >)
        let tagged = Set(try await Dataset.tags(store: store).map(\.version))
        let protected = Set(versionsDesc.prefix(max(1, keep))).union(tagged)
        var referenced = Set<String>()
        var toRemove: [(UInt64, String)] = []
        for v in versionsDesc {
            let path = manifests[v]!
            let m = try await ManifestFile.load(store, path: path).manifest
            let old = VersionTimestamp(m.timestamp).date < cutoff
            if old && !protected.contains(v) {
                toRemove.append((v, path))
                continue
            }
            if !m.transactionFile.isEmpty { referenced.insert("_transactions/" + m.transactionFile) }
            for f in m.fragments {
                for d in f.files { referenced.insert("data/" + d.path) }
                if f.hasDeletionFile {
                    let d = f.deletionFile
                    let info = DeletionFileInfo(kind: d.fileType == .bitmap ? .bitmap : .arrow, readVersion: d.readVersion,
                                                id: d.id, numDeletedRows: nil)
                    referenced.insert(info.path(fragmentId: f.id))
                }
            }
        }
        // Manifests first: once a version is gone, nothing can need its files.
        for (v, path) in toRemove.sorted(by: { $0.0 < $1.0 }) {
            try await store.delete(path)
            stats.removedVersions.append(v)
        }
        let limit = cutoff.timeIntervalSince1970
        for dir in ["data", "_deletions", "_transactions"] {
            for meta in try await store.list(dir) where !referenced.contains(meta.path) {
                guard meta.modified > 0, meta.modified < limit else { continue }
                try await store.delete(meta.path)
                stats.removedFiles += 1
                stats.removedBytes += meta.size
            }
        }
        return stats
    }
}
