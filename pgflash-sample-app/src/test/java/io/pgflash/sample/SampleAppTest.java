package io.pgflash.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Operation;
import io.pgflash.spring.test.ListenerEvents;
import io.pgflash.spring.test.PgFlashTestDatabase;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The sample over HTTP, as its page uses it: each operation arrives on {@code GET /events} as one JSON object, the
 * listeners report, and health shows pgflash UP with the driver's details. Subclasses pick the driver and server.
 */
@Import(SampleAppTest.Events.class)
abstract class SampleAppTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    ListenerEvents events;

    /** Points the sample at a database of the test server, as {@code spring.datasource.url} does for a user. */
    static void useTestDatabase(DynamicPropertyRegistry properties) {
        PgFlashTestDatabase.register(properties);
    }

    /** What each listener handled, from pgflash's test support. */
    @TestConfiguration(proxyBeanMethods = false)
    static class Events {
        @Bean
        ListenerEvents listenerEvents() {
            return new ListenerEvents();
        }
    }

    /** {@code /api/driver}'s driver and mode. */
    abstract List<String> expectedDriver();

    /** A health detail this driver must report (a JSON pointer under the pgflash component's details). */
    abstract String driverHealthDetail();

    /** Whether UPDATE and DELETE events carry the whole old row. */
    boolean hasOldRows() {
        return true;
    }

    @Test
    void everyOperationArrivesAsJsonOverServerSentEvents() throws Exception {
        try (EventStream stream = EventStream.open(port)) {
            long id = post("/api/posts", "{\"title\":\"Hello\",\"status\":\"draft\"}").get("id").asLong();
            post("/api/posts/" + id + "/publish", "{}");
            post("/api/posts/" + id + "/title", "{\"title\":\"Hello, world\"}");
            post("/api/posts/" + id + "/comments", "{\"author\":\"ada\",\"body\":\"Nice\"}");
            send("DELETE", "/api/posts/" + id, null);
            post("/api/truncate", "{}");

            await().untilAsserted(() -> assertThat(operationsSince(stream.changes(), id))
                    .containsExactly("INSERT", "UPDATE", "UPDATE", "DELETE", "TRUNCATE"));
            List<JsonNode> events = eventsSince(stream.changes(), id);
            JsonNode insert = events.get(0);
            assertThat(insert.get("table").asString()).isEqualTo("public.posts");
            assertThat(insert.at("/key/id").asLong()).isEqualTo(id);
            assertThat(insert.at("/newRow/title").asString()).isEqualTo("Hello");
            assertThat(insert.at("/newRow/status").asString()).isEqualTo("draft");
            assertThat(insert.get("oldRow").isNull()).isTrue();
            assertThat(insert.get("transactionId").asLong()).isPositive();
            assertThat(insert.get("latencyMs").asLong()).isNotNegative();
            assertThat(Instant.parse(insert.get("commitTime").asString())).isBefore(Instant.now());
            assertThat(events).extracting(event -> event.get("position").asString()).doesNotHaveDuplicates()
                    .allSatisfy(position -> assertThat(position).isNotBlank());

            JsonNode publish = events.get(1);
            assertThat(publish.at("/newRow/status").asString()).isEqualTo("published");
            assertThat(publish.get("changedColumns").toString()).isEqualTo("[\"status\"]");
            JsonNode delete = events.get(3);
            assertThat(delete.get("newRow").isNull()).isTrue();
            assertThat(delete.at("/key/id").asLong()).isEqualTo(id);
            if (hasOldRows()) {
                assertThat(publish.at("/oldRow/status").asString()).isEqualTo("draft");
                assertThat(delete.at("/oldRow/title").asString()).isEqualTo("Hello, world");
            }
            assertThat(events.get(4).get("key").isNull()).isTrue();

            await().untilAsserted(() -> assertThat(stream.changes()).anySatisfy(comment -> {
                assertThat(comment.get("table").asString()).isEqualTo("public.comments");
                assertThat(comment.at("/newRow/post_id").asLong()).isEqualTo(id);
                assertThat(comment.at("/newRow/author").asString()).isEqualTo("ada");
            }));
            await().untilAsserted(() -> assertThat(stream.notes()).contains(
                    "new-posts: New post #" + id + ": \"Hello\" (draft)",
                    "published: Now published: \"Hello\"",
                    "title-changes: Post #" + id + " renamed from \"Hello\" to \"Hello, world\"",
                    "removals: Deleted from posts: #" + id,
                    "removals: posts truncated"));
        }
    }

    /** The test support's way to check a listener: write through the API, await what the listener handled. */
    @Test
    void theNewPostsListenerHandlesEachInsertBoundToItsRecord() throws Exception {
        long id = post("/api/posts", "{\"title\":\"Awaited\",\"status\":\"draft\"}").get("id").asLong();

        ChangeEvent event = events.await("new-posts", e -> Long.valueOf(id).equals(e.key().get("id")));
        assertThat(event.operation()).isEqualTo(Operation.INSERT);
        assertThat(event.newRow().get("title")).isEqualTo("Awaited");
    }

    @Test
    void thePostListComesFromTheEventFedCache() throws Exception {
        long id = post("/api/posts", "{\"title\":\"Cached\",\"status\":\"published\"}").get("id").asLong();
        await().untilAsserted(() -> assertThat(cachedPostIds()).contains(id));
        send("DELETE", "/api/posts/" + id, null);
        await().untilAsserted(() -> assertThat(cachedPostIds()).doesNotContain(id));
    }

    @Test
    void aPostWhoseIdChangesIsCachedUnderItsNewIdOnly() throws Exception {
        long id = post("/api/posts", "{\"title\":\"Moving\",\"status\":\"draft\"}").get("id").asLong();
        await().untilAsserted(() -> assertThat(cachedPostIds()).contains(id));

        long moved = id + 1_000_000;
        jdbc.sql("UPDATE posts SET id = ? WHERE id = ?").params(moved, id).update(); // as another program may

        await().untilAsserted(() -> assertThat(cachedPostIds()).contains(moved).doesNotContain(id));
    }

    @Test
    void healthShowsPgflashUpWithTheDriversDetails() throws Exception {
        JsonNode health = get("/actuator/health");
        assertThat(health.at("/components/pgflash/status").asString()).isEqualTo("UP");
        JsonNode details = health.at("/components/pgflash/details");
        assertThat(details.get("state").asString()).isEqualTo("streaming");
        assertThat(details.at(driverHealthDetail()).isMissingNode()).as(details.toString()).isFalse();
        assertThat(details.get("listeners").properties()).hasSize(8)
                .allSatisfy(listener -> assertThat(listener.getValue().asString()).isEqualTo("running"));

        JsonNode driver = get("/api/driver");
        assertThat(List.of(driver.get("driver").asString(), driver.get("mode").asString()))
                .isEqualTo(expectedDriver());
    }

    @Test
    void badInputIsRejectedWithTheReason() throws Exception {
        assertProblem(send("POST", "/api/posts", "{\"title\":\"x\",\"status\":\"secret\"}"), 400,
                "status must be one of [draft, published, archived], not 'secret'");
        assertProblem(send("POST", "/api/posts/burst", "{\"count\":0}"), 400, "count must be between 1 and 10000");
        assertProblem(send("POST", "/api/posts/987654321/publish", "{}"), 404, "no post 987654321");
        long id = post("/api/posts", "{\"title\":\"Target\"}").get("id").asLong();
        assertProblem(send("POST", "/api/posts/" + id + "/title", "{}"), 400, "title must not be empty");
        assertProblem(send("POST", "/api/posts/" + id + "/comments", "{\"body\":\"x\"}"), 400,
                "a comment needs an author and a body");
        assertProblem(send("POST", "/api/posts/987654321/comments", "{\"author\":\"a\",\"body\":\"b\"}"), 404,
                "no post 987654321");
    }

    @Test
    void writesTakeJsonOnlySoOtherSitesCannotSendThem() throws Exception {
        HttpResponse<String> formPost = HTTP.send(HttpRequest.newBuilder(uri("/api/truncate"))
                .header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString("")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(formPost.statusCode()).isEqualTo(415);
    }

    @Test
    void aPagesOwnStreamCarriesOnlyThePostsOfTheStatusItWatches() throws Exception {
        try (EventStream published = EventStream.open(port, "/events/posts?status=published", null)) {
            long draft = post("/api/posts", "{\"title\":\"Not yet\",\"status\":\"draft\"}").get("id").asLong();
            long ready = post("/api/posts", "{\"title\":\"Ready\",\"status\":\"published\"}").get("id").asLong();
            post("/api/posts/" + draft + "/publish", "{}");

            await().untilAsserted(() -> assertThat(published.changes()).hasSize(2));
            assertThat(published.changes()).extracting(event -> event.at("/newRow/id").asLong(),
                    event -> event.get("operation").asString(), event -> event.get("sourceOperation").asString())
                    .containsExactly(tuple(ready, "INSERT", "INSERT"), tuple(draft, "INSERT", "UPDATE"));
            assertThat(published.all()).allSatisfy(event -> assertThat(event.id()).isNotBlank());
        }
    }

    @Test
    void aReconnectingPageGetsOnlyWhatItMissed() throws Exception {
        String lastSeen;
        try (EventStream first = EventStream.open(port)) {
            post("/api/posts", "{\"title\":\"Seen\"}");
            await().until(() -> first.changes().stream()
                    .anyMatch(event -> "Seen".equals(event.at("/newRow/title").asString(null))));
            lastSeen = first.all().get(first.all().size() - 1).id();
        }
        post("/api/posts", "{\"title\":\"Missed\"}");
        await().untilAsserted(() -> assertThat(cachedPostTitles()).contains("Missed"));
        try (EventStream again = EventStream.open(port, lastSeen)) {
            await().until(() -> again.changes().stream()
                    .anyMatch(event -> "Missed".equals(event.at("/newRow/title").asString(null))));
            assertThat(again.changes()).noneMatch(event -> "Seen".equals(event.at("/newRow/title").asString(null)));
        }
    }

    @Test
    void aPageThatStopsReadingHoldsUpNothing() throws Exception {
        try (Socket stuck = new Socket()) {
            stuck.setReceiveBufferSize(1024);
            stuck.connect(new InetSocketAddress("localhost", port));
            stuck.getOutputStream().write(("GET /events HTTP/1.1\r\nHost: localhost\r\n"
                    + "Accept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            int before = get("/api/posts?limit=0").get("total").asInt();
            for (int burst = 0; burst < 3; burst++) {
                post("/api/posts/burst", "{\"count\":10000}");
            }
            // the listeners (and so the cache) keep up while that page's stream is stuck
            await().atMost(Duration.ofSeconds(40)).untilAsserted(() -> assertThat(
                    get("/api/posts?limit=0").get("total").asInt()).isGreaterThanOrEqualTo(before + 30_000));
            // and a new page is served at once, not after the stuck one's write timeout
            assertThat(CompletableFuture.supplyAsync(() -> {
                try (EventStream fresh = EventStream.open(port)) {
                    return fresh;
                } catch (IOException | InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            })).succeedsWithin(Duration.ofSeconds(5));
        }
    }

    private static void assertProblem(HttpResponse<String> response, int status, String detail) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(JSON.readTree(response.body()).get("detail").asString()).contains(detail);
    }

    private List<Long> cachedPostIds() throws IOException, InterruptedException {
        return get("/api/posts?limit=1000").get("posts").findValues("id").stream().map(JsonNode::asLong).toList();
    }

    private List<String> cachedPostTitles() throws IOException, InterruptedException {
        return get("/api/posts?limit=1000").get("posts").findValues("title").stream().map(JsonNode::asString)
                .toList();
    }

    /** The operations on posts from the INSERT of post {@code id} on. */
    private static List<String> operationsSince(List<JsonNode> changes, long id) {
        return eventsSince(changes, id).stream().map(event -> event.get("operation").asString()).toList();
    }

    private static List<JsonNode> eventsSince(List<JsonNode> changes, long id) {
        List<JsonNode> posts = changes.stream()
                .filter(event -> event.get("table").asString().equals("public.posts")).toList();
        int start = IntStream.range(0, posts.size())
                .filter(i -> posts.get(i).get("operation").asString().equals("INSERT")
                        && posts.get(i).at("/key/id").asLong() == id)
                .findFirst().orElse(posts.size());
        return posts.subList(start, posts.size()).stream()
                .filter(event -> event.get("key").isNull() || event.at("/key/id").asLong() == id).toList();
    }

    JsonNode get(String path) throws IOException, InterruptedException {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(uri(path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    JsonNode post(String path, String json) throws IOException, InterruptedException {
        HttpResponse<String> response = send("POST", path, json);
        assertThat(response.statusCode()).as(path + ": " + response.body()).isBetween(200, 299);
        return response.body().isEmpty() ? null : JSON.readTree(response.body());
    }

    HttpResponse<String> send(String method, String path, String json) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path))
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            request.header("Content-Type", "application/json");
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://localhost:" + port + path);
    }
}
