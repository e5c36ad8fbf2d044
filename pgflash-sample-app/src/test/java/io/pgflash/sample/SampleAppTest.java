package io.pgflash.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The sample over HTTP, as its page uses it: each operation arrives on {@code GET /events} as one JSON object, the
 * listeners report, and health shows pgflash UP with the driver's details. Subclasses pick the driver and server.
 */
abstract class SampleAppTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @LocalServerPort
    int port;

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
            post("/api/posts/" + id + "/publish", null);
            post("/api/posts/" + id + "/title", "{\"title\":\"Hello, world\"}");
            post("/api/posts/" + id + "/comments", "{\"author\":\"ada\",\"body\":\"Nice\"}");
            send("DELETE", "/api/posts/" + id, null);
            post("/api/truncate", null);

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

            assertThat(stream.changes()).anySatisfy(comment -> {
                assertThat(comment.get("table").asString()).isEqualTo("public.comments");
                assertThat(comment.at("/newRow/post_id").asLong()).isEqualTo(id);
                assertThat(comment.at("/newRow/author").asString()).isEqualTo("ada");
            });
            await().untilAsserted(() -> assertThat(stream.notes()).contains(
                    "new-posts: New post #" + id + ": \"Hello\" (draft)",
                    "published: Now published: \"Hello\"",
                    "title-changes: Post #" + id + " renamed from \"Hello\" to \"Hello, world\"",
                    "removals: Deleted from posts: #" + id,
                    "removals: posts truncated"));
        }
    }

    @Test
    void thePostListComesFromTheEventFedCache() throws Exception {
        long id = post("/api/posts", "{\"title\":\"Cached\",\"status\":\"published\"}").get("id").asLong();
        await().untilAsserted(() -> assertThat(get("/api/posts").findValues("id")).extracting(JsonNode::asLong)
                .contains(id));
        send("DELETE", "/api/posts/" + id, null);
        await().untilAsserted(() -> assertThat(get("/api/posts").findValues("id")).extracting(JsonNode::asLong)
                .doesNotContain(id));
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
        HttpResponse<String> response = send("POST", "/api/posts", "{\"title\":\"x\",\"status\":\"secret\"}");
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(send("POST", "/api/posts/burst?count=0", null).statusCode()).isEqualTo(400);
        assertThat(send("POST", "/api/posts/987654321/publish", null).statusCode()).isEqualTo(404);
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
