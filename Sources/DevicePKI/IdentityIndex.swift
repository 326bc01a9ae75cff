import Foundation

#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The index of issued identities: `devices/index.csv` (the record) and `devices/index.json` (the same
/// rows for tools that prefer JSON). Both are rewritten whole and renamed into place, streaming row by
/// row, so they stay correct when identities are added or replaced later.
public enum IdentityIndex {
    /// Every entry of an index CSV, in file order.
    public static func read(csvPath: String) throws -> [IdentityIndexEntry] {
        var entries: [IdentityIndexEntry] = []
        try forEachEntry(csvPath: csvPath) { entries.append($0) }
        return entries
    }

    static func forEachEntry(csvPath: String, _ body: (IdentityIndexEntry) throws -> Void) throws {
        try forEachLine(path: csvPath) { line, number in
            if number == 1 {
                guard line == IdentityIndexEntry.csvHeader else {
                    throw PKIError.malformedIndex(path: csvPath, line: 1, reason: "unexpected header")
                }
                return
            }
            guard !line.isEmpty else { return }
            guard let fields = CSV.split(line), fields.count == IdentityIndexEntry.csvColumns.count else {
                throw PKIError.malformedIndex(
                    path: csvPath, line: number, reason: "expected \(IdentityIndexEntry.csvColumns.count) fields")
            }
            try body(IdentityIndexEntry(fields: fields))
        }
    }

    /// Calls `body` with each line (without its line break) and its 1-based number, reading a line at a time.
    static func forEachLine(path: String, _ body: (Substring, Int) throws -> Void) throws {
        guard let file = fopen(path, "r") else {
            throw PKIError.unreadableFile(path: path, reason: SecureFiles.lastErrorText())
        }
        defer { fclose(file) }
        var buffer: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(buffer) }
        var number = 0
        while true {
            let length = getline(&buffer, &capacity, file)
            if length < 0 { break }
            number += 1
            var line = String(cString: buffer!)[...]
            while line.last == "\n" || line.last == "\r" { line = line.dropLast() }
            try body(line, number)
        }
    }

    /// Rewrites the JSON index from the CSV one, one row at a time.
    static func writeJSON(fromCSV csvPath: String, to jsonPath: String) throws {
        let writer = try StagedTextFile(destination: jsonPath)
        do {
            try writer.write("[")
            var first = true
            try forEachEntry(csvPath: csvPath) { entry in
                try writer.write(first ? "\n" : ",\n")
                first = false
                try writer.write(json(entry))
            }
            try writer.write(first ? "]\n" : "\n]\n")
            try writer.commit()
        } catch {
            writer.abandon()
            throw error
        }
    }

    static func json(_ entry: IdentityIndexEntry) -> String {
        var members: [String] = []
        for (key, value) in zip(IdentityIndexEntry.jsonKeys, entry.fields) {
            let rendered = key == "fault" && value.isEmpty ? "null" : jsonString(value)
            members.append("\"\(key)\":\(rendered)")
        }
        return "  {" + members.joined(separator: ",") + "}"
    }

    static func jsonString(_ value: String) -> String {
        var result = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

/// An index being rewritten: kept rows of the old index first, then new rows as they are issued.
final class IdentityIndexUpdate {
    private let layout: PKILayout
    private let csv: StagedTextFile

    /// Starts the new index with every old row whose client ID is not being issued again.
    init(layout: PKILayout, replacing clientIDs: Set<String>) throws {
        self.layout = layout
        csv = try StagedTextFile(destination: layout.indexCSV)
        do {
            try csv.write(IdentityIndexEntry.csvHeader + "\n")
            if SecureFiles.exists(layout.indexCSV) {
                try IdentityIndex.forEachEntry(csvPath: layout.indexCSV) { entry in
                    if !clientIDs.contains(entry.clientID) { try csv.write(entry.csvLine + "\n") }
                }
            }
        } catch {
            csv.abandon()
            throw error
        }
    }

    func append(_ entries: [IdentityIndexEntry]) throws {
        for entry in entries { try csv.write(entry.csvLine + "\n") }
    }

    /// Renames the CSV into place and derives the JSON from it.
    func commit() throws {
        try csv.commit()
        try IdentityIndex.writeJSON(fromCSV: layout.indexCSV, to: layout.indexJSON)
    }

    func abandon() {
        csv.abandon()
    }
}

/// A text file written through a buffered stream under a temporary name, renamed over its destination on commit.
final class StagedTextFile {
    let destination: String
    private let temporary: String
    private var file: UnsafeMutablePointer<FILE>?

    init(destination: String) throws {
        self.destination = destination
        temporary = SecureFiles.temporaryPath(beside: destination)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, SecureFiles.publicMode)
        guard descriptor >= 0, let stream = fdopen(descriptor, "w") else {
            throw PKIError.writeFailed(path: destination, reason: SecureFiles.lastErrorText())
        }
        file = stream
    }

    func write(_ text: String) throws {
        guard let file, fputs(text, file) >= 0 else {
            throw PKIError.writeFailed(path: destination, reason: SecureFiles.lastErrorText())
        }
    }

    func commit() throws {
        guard let stream = file else { return }
        file = nil
        guard fclose(stream) == 0 else {
            unlink(temporary)
            throw PKIError.writeFailed(path: destination, reason: SecureFiles.lastErrorText())
        }
        try SecureFiles.rename(temporary, to: destination)
    }

    /// Drops the temporary file unless it was already committed.
    func abandon() {
        guard let stream = file else { return }
        fclose(stream)
        file = nil
        unlink(temporary)
    }

    deinit {
        abandon()
    }
}
