#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The one progress display of the CLI: a single line on standard error, redrawn in place at most once
/// per `interval` (immediately when its `phase` changes) — and only when standard error is a terminal, so
/// scripts and pipes never see it. Safe to update from several tasks at once.
final class StatusLine: @unchecked Sendable {
    private let lock = NSLock()
    private let interval: Double
    private var last = Date.distantPast
    private var phase: String?
    private var shown = false

    private init(interval: Double) { self.interval = interval }

    /// A display when standard error is a terminal, else nil.
    static func forStandardError(interval: Double = 0.1) -> StatusLine? {
        isatty(2) != 0 ? StatusLine(interval: interval) : nil
    }

    /// Redraws the line with `text()` unless it was drawn less than `interval` ago in the same phase
    /// (`force` redraws regardless). `text` is only evaluated when the line is redrawn.
    func update(phase: String? = nil, force: Bool = false, _ text: () -> String) {
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard force || phase != self.phase || now.timeIntervalSince(last) >= interval else { return }
        last = now
        self.phase = phase
        shown = true
        emit("\r\u{1B}[K" + text())
    }

    /// Ends the display: keeps the last line (ending it with a newline) or erases it.
    func finish(keep: Bool) {
        lock.lock()
        defer { lock.unlock() }
        guard shown else { return }
        emit(keep ? "\n" : "\r\u{1B}[K")
        shown = false
    }

    private func emit(_ s: String) {
        var bytes = Array(s.utf8)
        _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress!, $0.count) }
    }
}
