import Foundation
import LanceArrow
import LanceCore
import LanceFile
import LanceIO
import LanceProto
import SwiftProtobuf

/// A change to commit, computed against some version of the dataset.
enum PendingOperation: Sendable {
    /// New fragments; their ids are assigned at commit time above the latest `max_fragment_id`.
    case append([Lance_Table_DataFragment])
    /// Replace everything with these fragments and this schema. Stable row ids stay on when the
    /// replaced dataset had them; `stableRowIds` turns them on for a new dataset.
    case overwrite([Lance_Table_DataFragment], schema: LanceSchema, fileVersion: FileVersion, stableRowIds: Bool)
    /// Replace fragments by id (new deletion files) and drop the ones that became empty.
    case delete(updated: [Lance_Table_DataFragment], deletedIds: [UInt64], predicate: String)
    /// Make an old version the content of a new one.
    case restore(version: UInt64, manifest: Lance_Table_Manifest, indices: [Lance_Table_IndexMetadata])
    /// Replace the schema and the whole fragment list (new columns attached to fragments). Computed
    /// against one version's fragment list, so any concurrent change of fragments is a conflict.
    case merge(fragments: [Lance_Table_DataFragment], schema: [Lance_File_Field])
    /// Replace the schema only (drop, rename, nullability); files left without fields are dropped.
    case project(schema: [Lance_File_Field])
    /// Rows rewritten: fragments removed or given deletion files, and new fragments with the new rows.
    /// With stable row ids, the first `keptRowIds.count` new rows (in fragment order) keep those
    /// ids and the rest get fresh ones.
    case update(removed: [UInt64], updated: [Lance_Table_DataFragment], new: [Lance_Table_DataFragment],
                preservingFields: [UInt32], keptRowIds: [UInt64] = [], keptCreatedAt: [UInt64?] = [])
    /// Add indices (their files already written) and drop the ones they replace.
    case createIndex(new: [Lance_Table_IndexMetadata], removed: [Lance_Table_IndexMetadata])

    /// Fragment ids this operation rewrites (deletes): two such operations touching the same
    /// fragment conflict.
    var touchedFragments: Set<UInt64> {
        switch self {
        case .delete(let updated, let deleted, _): return Set(updated.map(\.id)).union(deleted)
        case .update(let removed, let updated, _, _, _, _): return Set(updated.map(\.id)).union(removed)
        default: return []
        }
    }
}

/// The latest committed state a commit builds on.
struct CommitBase: Sendable {
    var manifest: Lance_Table_Manifest
    var indices: [Lance_Table_IndexMetadata]
    var path: String
    var naming: ManifestFile.Naming
}

enum Committer {
    static let defaultMaxAttempts = 20

    /// The latest committed version in `store`, or nil when the store holds no dataset.
    static func latest(_ store: any ObjectStore) async throws -> CommitBase? {
        let manifests = try await ManifestFile.list(store, base: "")
        guard let v = manifests.keys.max(), let path = manifests[v] else { return nil }
        let decoded = try await ManifestFile.load(store, path: path)
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let naming = ManifestFile.parse(name: name)?.naming ?? .v2
        return CommitBase(manifest: decoded.manifest, indices: decoded.indices, path: path, naming: naming)
    }

    /// Commits `operation`, computed against `readVersion` (0 for a new dataset), publishing
    /// the manifest with an atomic create-if-absent and rebasing on concurrent compatible commits.
    ///
    /// Throws `commitConflict` when a concurrent commit makes the operation impossible, and
    /// `retryableCommitConflict` when `maxAttempts` publications all lost a race.
    static func commit(store: any ObjectStore, uri: String, readVersion: UInt64, operation: PendingOperation,
                       newDatasetNaming: ManifestFile.Naming = .v2, mustCreate: Bool = false,
                       maxAttempts: Int = defaultMaxAttempts,
                       beforePublish: (@Sendable () async throws -> Void)? = nil) async throws -> Dataset {
        var pending = beforePublish
        var checkedThrough = readVersion
        for _ in 0 ..< max(1, maxAttempts) {
            let base = try await latest(store)
            if mustCreate, base != nil {
                throw LanceError(.alreadyExists, "a dataset was created here concurrently", path: uri)
            }
            if let base, base.manifest.version > checkedThrough {
                try await checkCompatible(store: store, operation: operation, from: checkedThrough + 1,
                                          through: base.manifest.version)
                checkedThrough = base.manifest.version
            }
            let uuid = newUUIDString()
            let (manifest, transaction, indices) = try build(on: base, readVersion: readVersion, uuid: uuid,
                                                            operation: operation)
            let txnName = "\(readVersion)-\(uuid).txn"
            // The transaction file is written (and made durable) while the manifest is encoded and the
            // new data files' pending syncs finish.
            let txnBytes: [UInt8] = try transaction.serializedBytes()
            async let txnWritten: Void = store.put("_transactions/" + txnName, txnBytes)
            let bytes = try ManifestFile.encode(manifest: manifest, transaction: transaction, indices: indices)
            let naming = base?.naming ?? newDatasetNaming
            let path = ManifestFile.directory + "/" + ManifestFile.name(version: manifest.version, naming: naming)
            // Whatever the manifest names must be durable before it is published.
            if let p = pending {
                try await p()
                pending = nil
            }
            try await txnWritten
            if try await store.putIfAbsent(path, bytes) {
                // The hint is advisory (readers list `_versions/`); failing to write it loses nothing,
                // so it is not synced.
                try? await store.putHint(ManifestFile.directory + "/latest_version_hint.json",
                                         Array("{\"version\":\(manifest.version)}".utf8))
                let decoded = try ManifestFile.decode(Buffer(bytes), path: path)
                return try Dataset(store: store, uri: uri, manifestPath: path, decoded: decoded)
            }
            // Another writer published this version first: its transaction file stays, unreferenced.
            try? await store.delete("_transactions/" + txnName)
        }
        throw LanceError(.retryableCommitConflict,
                         "gave up committing after \(maxAttempts) attempts lost to concurrent writers", path: uri)
    }

    /// Throws `commitConflict` unless every transaction committed in `from...through` leaves
    /// `operation` applicable.
    static func checkCompatible(store: any ObjectStore, operation: PendingOperation, from: UInt64,
                                through: UInt64) async throws {
        if case .overwrite = operation { return }
        if case .restore = operation { return }
        let manifests = try await ManifestFile.list(store, base: "")
        var v = from
        while v <= through {
            defer { v += 1 }
            guard let path = manifests[v] else { continue }
            let bytes = try await store.read(path)
            let m = try ManifestFile.decode(bytes, path: path).manifest
            var txn = ManifestFile.inlineTransaction(bytes, manifest: m)
            if txn == nil, !m.transactionFile.isEmpty,
               let b = try? await store.read("_transactions/" + m.transactionFile) {
                txn = try? b.withUnsafeBytes { try Lance_Table_Transaction(serializedBytes: Array($0)) }
            }
            guard let theirs = txn?.operation else {
                throw LanceError(.commitConflict, "version \(v) was committed concurrently and its transaction is unknown",
                                 path: path)
            }
            if let why = conflict(mine: operation, theirs: theirs) {
                throw LanceError(.commitConflict, "concurrent commit of version \(v) conflicts: \(why)", path: path)
            }
        }
    }

    /// Why `mine` cannot be applied after `theirs`, or nil when it can.
    static func conflict(mine: PendingOperation, theirs: Lance_Table_Transaction.OneOf_Operation) -> String? {
        var theirTouched = Set<UInt64>()
        switch theirs {
        case .overwrite: return "the dataset was overwritten"
        case .restore: return "an old version was restored"
        case .merge, .project: return "the schema changed"
        case .append, .createIndex, .reserveFragments: break
        case .delete(let d): theirTouched = Set(d.updatedFragments.map(\.id)).union(d.deletedFragmentIds)
        case .update(let u):
            theirTouched = Set(u.updatedFragments.map(\.id)).union(u.removedFragmentIds)
        case .rewrite(let r):
            theirTouched = Set(r.oldFragments.map(\.id))
            for g in r.groups { theirTouched.formUnion(g.oldFragments.map(\.id)) }
        case .dataReplacement(let d): theirTouched = Set(d.replacements.map(\.fragmentID))
        }
        if case .createIndex(let new, _) = mine {
            switch theirs {
            case .rewrite, .update, .dataReplacement: return "the indexed rows were rewritten"
            case .createIndex(let c):
                let names = Set(new.map(\.name))
                if let same = c.newIndices.first(where: { names.contains($0.name) }) {
                    return "an index named `\(same.name)` was created concurrently"
                }
                return nil
            default: return nil
            }
        }
        switch mine {
        case .append, .createIndex: return nil
        case .merge:
            // The operation carries the full fragment list it computed; only commits that leave
            // fragments and schema alone can be rebased over.
            if case .createIndex = theirs { return nil }
            return "the fragments changed while new columns were written"
        case .project:
            switch theirs {
            case .append, .delete, .createIndex, .reserveFragments: return nil
            default: return "the fragments changed while the schema was edited"
            }
        case .delete, .update:
            let both = mine.touchedFragments.intersection(theirTouched)
            return both.isEmpty ? nil : "both change fragment(s) \(both.sorted().map(String.init).joined(separator: ", "))"
        case .overwrite, .restore: return nil
        }
    }

    /// The manifest, transaction and index list of `operation` applied on `base`.
    static func build(on base: CommitBase?, readVersion: UInt64, uuid: String, operation: PendingOperation) throws
        -> (Lance_Table_Manifest, Lance_Table_Transaction, [Lance_Table_IndexMetadata])
    {
        var m = base?.manifest ?? Lance_Table_Manifest()
        var indices = base?.indices ?? []
        let version = (base?.manifest.version ?? 0) + 1
        var txn = Lance_Table_Transaction()
        txn.readVersion = readVersion
        txn.uuid = uuid
        var nextId: UInt64 = 0
        if let b = base?.manifest {
            if b.hasMaxFragmentID { nextId = UInt64(b.maxFragmentID) + 1 }
            if let mx = b.fragments.map(\.id).max() { nextId = max(nextId, mx + 1) }
        }
        func numbered(_ frags: [Lance_Table_DataFragment]) -> [Lance_Table_DataFragment] {
            frags.enumerated().map { k, f in
                var f = f
                f.id = nextId + UInt64(k)
                return f
            }
        }
        switch operation {
        case .append(let frags):
            guard base != nil else { throw LanceError.notFound("cannot append: the dataset does not exist") }
            var fs = numbered(frags)
            if m.readerFeatureFlags & FeatureFlags.stableRowIds != 0 {
                StableRowIds.assign(&fs, manifest: &m, version: version)
            }
            m.fragments += fs
            var op = Lance_Table_Transaction.Append()
            op.fragments = fs
            txn.operation = .append(op)
        case .overwrite(let frags, let schema, let fileVersion, let wantStable):
            var fs = numbered(frags)
            let stable = wantStable || (base.map { $0.manifest.readerFeatureFlags & FeatureFlags.stableRowIds != 0 } ?? false)
            m.fields = schema.protoFields()
            m.schemaMetadata = schema.metadata.mapValues { Data($0.utf8) }
            m.readerFeatureFlags = 0
            m.writerFeatureFlags = 0
            if stable {
                m.readerFeatureFlags = FeatureFlags.stableRowIds
                m.writerFeatureFlags = FeatureFlags.stableRowIds
                StableRowIds.assign(&fs, manifest: &m, version: version)
            }
            m.fragments = fs
            m.dataFormat.fileFormat = "lance"
            m.dataFormat.version = "\(fileVersion.major).\(fileVersion.minor)"
            indices = []
            var op = Lance_Table_Transaction.Overwrite()
            op.fragments = fs
            op.schema = m.fields
            op.schemaMetadata = m.schemaMetadata
            txn.operation = .overwrite(op)
        case .delete(let updated, let deletedIds, let predicate):
            guard base != nil else { throw LanceError.notFound("cannot delete: the dataset does not exist") }
            let byId = Dictionary(updated.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            let present = Set(m.fragments.map(\.id))
            for id in byId.keys where !present.contains(id) {
                throw LanceError(.commitConflict, "fragment \(id) was removed by a concurrent commit")
            }
            let dropped = Set(deletedIds)
            m.fragments = m.fragments.compactMap { f in
                if dropped.contains(f.id) { return nil }
                return byId[f.id] ?? f
            }
            m.readerFeatureFlags |= FeatureFlags.deletionFiles
            m.writerFeatureFlags |= FeatureFlags.deletionFiles
            var op = Lance_Table_Transaction.Delete()
            op.updatedFragments = updated
            op.deletedFragmentIds = deletedIds
            op.predicate = predicate
            txn.operation = .delete(op)
        case .merge(let frags, let fields):
            guard base != nil else { throw LanceError.notFound("cannot merge: the dataset does not exist") }
            m.fragments = frags
            m.fields = fields
            indices = Committer.relevantIndices(indices, fields: fields)
            var op = Lance_Table_Transaction.Merge()
            op.fragments = frags
            op.schema = fields
            op.schemaMetadata = m.schemaMetadata
            txn.operation = .merge(op)
        case .project(let fields):
            guard base != nil else { throw LanceError.notFound("cannot alter: the dataset does not exist") }
            m.fields = fields
            let ids = Set(fields.map(\.id))
            for i in m.fragments.indices {
                m.fragments[i].files.removeAll { !$0.fields.contains(where: { ids.contains($0) }) }
            }
            indices = Committer.relevantIndices(indices, fields: fields)
            var op = Lance_Table_Transaction.Project()
            op.schema = fields
            txn.operation = .project(op)
        case .update(let removed, let updated, let new, let preserving, let kept, let keptCreated):
            guard base != nil else { throw LanceError.notFound("cannot update: the dataset does not exist") }
            let byId = Dictionary(updated.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            let present = Set(m.fragments.map(\.id))
            for id in byId.keys where !present.contains(id) {
                throw LanceError(.commitConflict, "fragment \(id) was removed by a concurrent commit")
            }
            let dropped = Set(removed)
            m.fragments = m.fragments.compactMap { f in
                if dropped.contains(f.id) { return nil }
                return byId[f.id] ?? f
            }
            var fs = numbered(new)
            if m.readerFeatureFlags & FeatureFlags.stableRowIds != 0 {
                StableRowIds.assign(&fs, manifest: &m, version: version, keeping: kept, keptCreatedAt: keptCreated)
            }
            m.fragments += fs
            if updated.contains(where: \.hasDeletionFile) {
                m.readerFeatureFlags |= FeatureFlags.deletionFiles
                m.writerFeatureFlags |= FeatureFlags.deletionFiles
            }
            var op = Lance_Table_Transaction.Update()
            op.removedFragmentIds = removed
            op.updatedFragments = updated
            op.newFragments = fs
            op.fieldsForPreservingFragBitmap = preserving
            op.updateMode = .rewriteRows
            txn.operation = .update(op)
        case .createIndex(let new, let removed):
            guard base != nil else { throw LanceError.notFound("cannot create an index: the dataset does not exist") }
            let gone = Set(removed.map(\.uuid.uuid))
            indices = indices.filter { !gone.contains($0.uuid.uuid) } + new
            var op = Lance_Table_Transaction.CreateIndex()
            op.newIndices = new
            op.removedIndices = removed
            txn.operation = .createIndex(op)
        case .restore(let old, let oldManifest, let oldIndices):
            let keepMax = m.hasMaxFragmentID ? m.maxFragmentID : nil
            let keepNextRowId = m.nextRowID
            m = oldManifest
            // Row ids are never reused: later versions may have handed out ids above the old counter.
            m.nextRowID = max(m.nextRowID, keepNextRowId)
            if let keepMax { m.maxFragmentID = max(keepMax, m.hasMaxFragmentID ? m.maxFragmentID : 0) }
            indices = oldIndices
            var op = Lance_Table_Transaction.Restore()
            op.version = old
            txn.operation = .restore(op)
        }
        if let mx = m.fragments.map(\.id).max() {
            let cur = m.hasMaxFragmentID ? UInt64(m.maxFragmentID) : 0
            m.maxFragmentID = UInt32(truncatingIfNeeded: max(cur, mx))
        }
        m.version = version
        m.timestamp = nowTimestamp()
        m.tag = ""
        m.transactionFile = "\(readVersion)-\(uuid).txn"
        var w = Lance_Table_Manifest.WriterVersion()
        w.library = LanceletVersion.library
        w.version = LanceletVersion.version
        m.writerVersion = w
        return (m, txn, indices)
    }

    /// The indices whose fields all remain in `fields` (as the reference keeps them).
    static func relevantIndices(_ indices: [Lance_Table_IndexMetadata], fields: [Lance_File_Field]) -> [Lance_Table_IndexMetadata] {
        let ids = Set(fields.map(\.id))
        return indices.filter { $0.fields.allSatisfy { ids.contains($0) } }
    }
}
