package io.pgflash.sample;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.Consumer;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * One open page's event stream. Events wait in a small queue that a thread of its own writes to the page, so a page
 * that reads slowly never holds up the listeners; one that falls a whole queue behind is closed (its browser
 * reconnects and catches up from the feed's recent events). Closing never waits on the caller's thread: completing
 * the emitter waits for a write in progress, which a page that stopped reading holds until the server's write
 * timeout.
 */
final class PageStream {

    private static final int QUEUE = 1000;
    private static final Duration TIMEOUT = Duration.ofMinutes(30); // the browser reconnects by itself

    private final SseEmitter emitter = new SseEmitter(TIMEOUT.toMillis());
    private final BlockingQueue<SseEmitter.SseEventBuilder> queue = new ArrayBlockingQueue<>(QUEUE);
    private final Thread writer;
    private volatile boolean open = true;

    private final Consumer<PageStream> onClose;

    /** @param onClose told when the page's stream ends, whatever ended it (perhaps more than once) */
    PageStream(Consumer<PageStream> onClose) {
        this.onClose = onClose;
        emitter.onCompletion(this::closed);
        emitter.onTimeout(emitter::complete);
        emitter.onError(error -> closed());
        writer = new Thread(this::write, "sse-page-writer");
        writer.setDaemon(true);
        writer.start();
    }

    SseEmitter emitter() {
        return emitter;
    }

    /** Queues an event for the page; closes the page's stream when it is a whole queue behind. */
    void offer(SseEmitter.SseEventBuilder event) {
        if (open && !queue.offer(event)) {
            complete();
        }
    }

    /** Ends the page's stream, on a thread of its own (see above); the page gets nothing more from now on. */
    void complete() {
        open = false;
        onClose.accept(this);
        Thread closer = new Thread(emitter::complete, "sse-page-closer");
        closer.setDaemon(true);
        closer.start();
    }

    private void write() {
        try {
            while (open) {
                emitter.send(queue.take());
            }
        } catch (IOException | IllegalStateException e) {
            closed(); // the page went away
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void closed() {
        open = false;
        writer.interrupt();
        onClose.accept(this);
    }
}
