package io.pgflash.core.driver.wal;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A local file that holds the messages of one streamed transaction past the memory bound: written in order, then read
 * back once from the start. The file is unlinked as soon as it is open where the system allows (so even a killed JVM
 * leaves nothing behind), and deleted on close otherwise.
 */
final class SpillFile implements AutoCloseable {

    private static final int BUFFER = 1 << 16;

    private final Path directory;
    private final FileChannel channel;
    private final DataOutputStream out;
    private DataInputStream in;
    private long written;
    private long read;

    private SpillFile(Path directory, FileChannel channel) {
        this.directory = directory;
        this.channel = channel;
        this.out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(channel), BUFFER));
    }

    static SpillFile create(Path directory) {
        try {
            Path path = Files.createTempFile(directory, "pgflash-streamed-", ".bin");
            FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE,
                    StandardOpenOption.DELETE_ON_CLOSE);
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                // a system that cannot unlink an open file deletes it on close instead
            }
            return new SpillFile(directory, channel);
        } catch (IOException e) {
            throw failure("create a file in", directory, e);
        }
    }

    void write(byte[] message) {
        try {
            out.writeInt(message.length);
            out.write(message);
            written++;
        } catch (IOException e) {
            throw failure("write to a file in", directory, e);
        }
    }

    /** The next message from the start of the file, or null after the last one written. */
    byte[] read() {
        if (read == written) {
            return null;
        }
        try {
            if (in == null) {
                out.flush();
                channel.position(0);
                in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(channel), BUFFER));
            }
            byte[] message = new byte[in.readInt()];
            in.readFully(message);
            read++;
            return message;
        } catch (IOException e) {
            throw failure("read back a file in", directory, e);
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw failure("close a file in", directory, e);
        }
    }

    private static UncheckedIOException failure(String action, Path directory, IOException e) {
        return new UncheckedIOException("Could not " + action + " " + directory + " to hold a streamed transaction ("
                + e.getMessage() + "); free space there or point pgflash.wal.spill-directory"
                + " (WalDriver.Builder.spillDirectory) at a directory with room", e);
    }
}
