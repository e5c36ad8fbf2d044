package io.pgflash.core.internal.net;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * A socket whose reader can wait for the next byte without a poll: pgjdbc's replication stream only offers a
 * non-blocking read, which peeks with a one-millisecond timeout, so an idle reader would wake a thousand times a
 * second. The byte that ends a wait is pushed back and read first by whoever reads next (pgjdbc, or a TLS layer on
 * top of this socket, which reads through {@link #getInputStream()} too).
 * <p>
 * A read that finds nothing waiting waits for the first byte, then {@link #GATHER} more before it returns: the
 * server sends each replication message on its own, and a reader that woke for every one would spend more on waking
 * than on reading. Gathered, one read takes a burst of messages, at the cost of that fraction of a millisecond.
 */
public final class WaitableSocket extends Socket {

    /** How long a read that waited for its first byte waits for the rest of the burst. */
    static final Duration GATHER = Duration.ofNanos(200_000);

    private PushbackInputStream input;

    @Override
    public synchronized InputStream getInputStream() throws IOException {
        if (input == null) {
            input = new PushbackInputStream(new GatheringInputStream(super.getInputStream()), 1);
        }
        return input;
    }

    /**
     * Waits up to {@code timeout} for data to read. Call it only from the thread that reads the stream, and only
     * when the reader above has nothing buffered.
     *
     * @return whether data (or the end of the stream) is there to read
     * @throws IOException if the connection broke
     */
    public boolean awaitData(Duration timeout) throws IOException {
        PushbackInputStream in = (PushbackInputStream) getInputStream();
        if (in.available() > 0) {
            return true;
        }
        int previous = getSoTimeout();
        setSoTimeout((int) Math.max(1, timeout.toMillis()));
        try {
            int next = in.read();
            if (next >= 0) {
                in.unread(next);
            }
            return true; // a byte, or the end of the stream, which the reader above should meet
        } catch (SocketTimeoutException e) {
            return false;
        } finally {
            if (!isClosed()) {
                setSoTimeout(previous);
            }
        }
    }

    /**
     * Reads what is there at once; a read that has to wait (within the socket's timeout, as any read) waits for the
     * first byte and then {@link #GATHER} for the bytes that follow it.
     */
    private static final class GatheringInputStream extends FilterInputStream {

        GatheringInputStream(InputStream socket) {
            super(socket);
        }

        @Override
        public int read() throws IOException {
            if (in.available() > 0) {
                return in.read();
            }
            int first = in.read();
            if (first >= 0) {
                LockSupport.parkNanos(GATHER.toNanos());
            }
            return first;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            if (length == 0 || in.available() > 0) {
                return in.read(buffer, offset, length);
            }
            int first = in.read();
            if (first < 0) {
                return -1;
            }
            LockSupport.parkNanos(GATHER.toNanos());
            buffer[offset] = (byte) first;
            int waiting = in.available();
            if (length == 1 || waiting <= 0) {
                return 1;
            }
            int more = in.read(buffer, offset + 1, Math.min(length - 1, waiting));
            return 1 + Math.max(more, 0);
        }
    }
}
