package io.pgflash.spring.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.OverflowPolicy;
import io.pgflash.core.PgFlash;
import io.pgflash.core.Subscription;
import io.pgflash.core.SubscriptionSpec;
import io.pgflash.test.TestDatabase;
import io.pgflash.test.TestPostgres;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;

/**
 * Per-client streams in a running web application: an MVC Server-Sent Event stream per client that resumes after
 * the browser's Last-Event-ID and whose subscription ends when the client goes away, and Reactor Fluxes whose demand
 * paces delivery and whose cancellation cancels their subscription.
 */
@SpringBootTest(classes = PerClientStreamsTest.StreamsApplication.class,
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"pgflash.driver=wal", "pgflash.shutdown-timeout=5s"})
class PerClientStreamsTest {

    static TestDatabase db;

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry properties) {
        db = TestPostgres.shared().createDatabase();
        db.execute("CREATE TABLE posts (id bigint PRIMARY KEY, title text, author_id bigint)",
                "ALTER TABLE posts REPLICA IDENTITY FULL"); // filters on the WAL driver need whole old rows
        properties.add("spring.datasource.url", db::jdbcUrl);
        properties.add("spring.datasource.username", db::user);
        properties.add("spring.datasource.password", db::password);
    }

    @Autowired
    PgFlash flash;

    @Autowired
    PgFlashFlux fluxes;

    @LocalServerPort
    int port;

    private static final AtomicInteger ids = new AtomicInteger();
    private final List<ChangeEvent> everything = new CopyOnWriteArrayList<>();
    private Subscription keeper;

    @BeforeEach
    void keepTheTableCaptured() {
        // an application's own listener on the table, as the sample's feed: it keeps the table captured while a
        // client is away
        keeper = flash.subscribe(SubscriptionSpec.table("posts").build(), everything::add);
    }

    @AfterEach
    void cancelKeeper() {
        keeper.cancel();
    }

    @Test
    void aClientsStreamCarriesItsRowsEndsWithItsConnectionAndResumesAfterTheLastEventItSaw() throws Exception {
        String lastSeen;
        try (EventStreamClient client = new EventStreamClient(port, "/authors/1/events", null)) {
            long mine = insert(1);
            insert(2);
            EventStreamClient.Event first = client.next();
            assertThat(first.name()).isEqualTo("change");
            assertThat(first.data()).contains("\"id\":" + mine).contains("\"operation\":\"INSERT\"");
            lastSeen = first.id();
            assertThat(clientSubscriptions()).hasSize(1);
        }

        // the next write to the closed connection fails, and the stream's subscription is cancelled
        List<Long> missed = new ArrayList<>();
        await().until(() -> {
            missed.add(insert(1));
            return clientSubscriptions().isEmpty();
        });
        long whileAway = insert(1);
        missed.add(whileAway);
        await().until(() -> everything.stream().anyMatch(event -> id(event) == whileAway));

        try (EventStreamClient client = new EventStreamClient(port, "/authors/1/events", lastSeen)) {
            long live = insert(1);
            List<Long> received = new ArrayList<>();
            while (received.size() < missed.size() + 1) {
                EventStreamClient.Event event = client.next();
                assertThat(event.name()).as(event.data()).isEqualTo("change");
                received.add(Long.parseLong(event.data().replaceAll(".*\"newRow\":\\{\"id\":(\\d+).*", "$1")));
            }
            List<Long> expected = new ArrayList<>(missed);
            expected.add(live);
            assertThat(received).as("what it missed while away, then what came after, each once")
                    .containsExactlyElementsOf(expected);
        }
    }

    @Test
    void aStreamThatCannotResumeSaysSoFirst() throws Exception {
        try (EventStreamClient client = new EventStreamClient(port, "/authors/1/events", "another-run:1:0")) {
            assertThat(client.next().name()).isEqualTo("gap");
            long row = insert(1);
            assertThat(client.next().data()).contains("\"id\":" + row);
        }
    }

    @Test
    void cancellingAFluxCancelsItsSubscription() {
        List<ChangeEvent> received = new CopyOnWriteArrayList<>();
        fluxes.flux(SubscriptionSpec.table("posts").id("flux-client").filter("author_id=eq.3").build())
                .take(2) // then cancels upstream, as a WebFlux response does when its client goes away
                .subscribe(received::add);
        assertThat(subscriptionIds()).contains("flux-client");

        insert(3);
        insert(4);
        insert(3);

        await().until(() -> received.size() == 2);
        await().until(() -> !subscriptionIds().contains("flux-client"));
        assertThat(received).extracting(event -> event.newRow().get("author_id")).containsOnly(3L);
    }

    @Test
    void aFluxThatFallsPastItsBufferIsCutOffWithAGapWhileOthersGoOn() {
        DemandOf subscriber = new DemandOf(1);
        fluxes.flux(SubscriptionSpec.table("posts").id("slow-flux").overflow(OverflowPolicy.cutOff(5)).build())
                .subscribe(subscriber);
        int before = everything.size();

        for (int i = 0; i < 20; i++) {
            insert(5);
        }

        await().until(() -> everything.size() == before + 20); // not held up by the slow one
        await().until(() -> subscriber.error.get() != null);
        assertThat(subscriber.error.get()).isInstanceOf(StreamGapException.class)
                .hasMessageContaining("fell 5 events behind");
        assertThat(subscriber.received).as("its demand, if it came before the cut-off").hasSizeLessThanOrEqualTo(1);
        await().until(() -> !subscriptionIds().contains("slow-flux"));
    }

    @Test
    void aBlockingFluxWaitsForDemandAndMissesNothing() {
        DemandOf subscriber = new DemandOf(1);
        fluxes.flux(SubscriptionSpec.table("posts").id("paced-flux").filter("author_id=eq.6")
                .overflow(OverflowPolicy.block()).build()).subscribe(subscriber);
        List<Long> rows = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            rows.add(insert(6));
        }

        await().until(() -> subscriber.received.size() == 1);
        subscriber.request(4);

        await().until(() -> subscriber.received.size() == 5);
        assertThat(subscriber.received).extracting(PerClientStreamsTest::id).containsExactlyElementsOf(rows);
        assertThat(subscriber.error.get()).isNull();
        subscriber.dispose();
        await().until(() -> !subscriptionIds().contains("paced-flux"));
    }

    private long insert(long author) {
        long id = ids.incrementAndGet();
        db.execute("INSERT INTO posts VALUES (" + id + ", 'post " + id + "', " + author + ")");
        return id;
    }

    private static long id(ChangeEvent event) {
        return (Long) event.row().get("id");
    }

    private List<String> subscriptionIds() {
        return flash.subscriptions().stream().map(Subscription::id).toList();
    }

    private List<String> clientSubscriptions() {
        return subscriptionIds().stream().filter(id -> id.startsWith("posts#")).filter(id -> !id.equals(keeper.id()))
                .toList();
    }

    /** Asks for {@code initial} events, then only what the test requests. */
    static final class DemandOf extends BaseSubscriber<ChangeEvent> {
        final List<ChangeEvent> received = new CopyOnWriteArrayList<>();
        final AtomicReference<Throwable> error = new AtomicReference<>();
        private final long initial;

        DemandOf(long initial) {
            this.initial = initial;
        }

        @Override
        protected void hookOnSubscribe(org.reactivestreams.Subscription subscription) {
            request(initial);
        }

        @Override
        protected void hookOnNext(ChangeEvent event) {
            received.add(event);
        }

        @Override
        protected void hookOnError(Throwable throwable) {
            error.set(throwable);
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import(AuthorStreams.class)
    static class StreamsApplication {
    }

    /** One stream per client: the posts of one author, resumable with the browser's Last-Event-ID. */
    @RestController
    static class AuthorStreams {

        private final PgFlashSse streams;

        AuthorStreams(PgFlashSse streams) {
            this.streams = streams;
        }

        // README-START
        @GetMapping("/authors/{author}/events")
        SseEmitter events(@PathVariable long author,
                @RequestHeader(name = "Last-Event-ID", required = false) String lastEventId) {
            return streams.stream(SubscriptionSpec.table("posts").filter("author_id=eq." + author)
                    .resumeAfter(lastEventId).build());
        }
        // README-END
    }

    /** The README's WebFlux example of the same stream, as a Flux of Server-Sent Events (compiled here). */
    @RestController
    static class AuthorFluxes {

        private final PgFlashFlux fluxes;
        private final PgFlash flash;

        AuthorFluxes(PgFlashFlux fluxes, PgFlash flash) {
            this.fluxes = fluxes;
            this.flash = flash;
        }

        // README-START
        @GetMapping(path = "/authors/{author}/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
        Flux<ServerSentEvent<ChangeMessage>> events(@PathVariable long author,
                @RequestHeader(name = "Last-Event-ID", required = false) String lastEventId) {
            return fluxes.flux(SubscriptionSpec.table("posts").filter("author_id=eq." + author)
                            .overflow(OverflowPolicy.cutOff(1000)).resumeAfter(lastEventId).build())
                    .map(event -> ServerSentEvent.builder(ChangeMessage.of(event)).id(flash.eventId(event)).build());
        }
        // README-END
    }

    /** A browser's EventSource, by hand: one HTTP/1.1 connection, read line by line; closing it closes the socket. */
    static final class EventStreamClient implements AutoCloseable {

        record Event(String id, String name, String data) {
        }

        private final Socket socket;
        private final BufferedReader reader;

        EventStreamClient(int port, String path, String lastEventId) throws IOException {
            socket = new Socket("localhost", port);
            socket.setSoTimeout(30_000);
            String request = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n"
                    + (lastEventId == null ? "" : "Last-Event-ID: " + lastEventId + "\r\n") + "\r\n";
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            reader = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String status = reader.readLine();
            if (!status.contains(" 200 ")) {
                throw new IOException("stream refused: " + status);
            }
        }

        /** The next event (chunk sizes of the chunked encoding and headers are skipped). */
        Event next() throws IOException {
            String id = null;
            String name = "message";
            StringBuilder data = null;
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (line.startsWith("id:")) {
                    id = line.substring(3);
                } else if (line.startsWith("event:")) {
                    name = line.substring(6);
                } else if (line.startsWith("data:")) {
                    data = data == null ? new StringBuilder() : data.append('\n');
                    data.append(line.substring(5));
                } else if (line.isEmpty() && data != null) {
                    return new Event(id, name, data.toString());
                }
            }
            throw new IOException("the stream ended");
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
