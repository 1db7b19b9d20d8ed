import LanceArrow
import LanceCore

/// Reads the `row_id` column of an Arrow IPC deletion file (`_deletions/*.arrow`).
enum DeletionArrowFile {
    static func rows(_ bytes: Buffer, path: String) throws -> [UInt32] {
        throw LanceError.unsupported("Arrow IPC deletion files are not readable yet (the IPC reader has not landed)", path: path)
    }
}
