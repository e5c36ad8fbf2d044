package io.pgflash.sample;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/** Reads {@code GET /events} (or another of the app's streams) as a browser's EventSource would, keeping each event's name and JSON data. */
final class EventStream implements AutoCloseable {

    record Received(String id, String name, JsonNode data) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<Received> received = new ArrayList<>();
    private final InputStream body;
    private final Thread reader;

    private EventStream(InputStream body) {
        this.body = body;
        this.reader = new Thread(this::read, "sse-test-reader");
        this.reader.setDaemon(true);
        this.reader.start();
    }

    static EventStream open(int port) throws IOException, InterruptedException {
        return open(port, null);
    }

    /** Opens the stream as a reconnecting browser does, naming the last event it saw (null: a new page). */
    static EventStream open(int port, String lastEventId) throws IOException, InterruptedException {
        return open(port, "/events", lastEventId);
    }

    /** Opens another of the app's streams, such as a page's own {@code /events/posts?status=...}. */
    static EventStream open(int port, String path, String lastEventId) throws IOException, InterruptedException {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                .header("Accept", "text/event-stream");
        if (lastEventId != null) {
            builder.header("Last-Event-ID", lastEventId);
        }
        HttpRequest request = builder.build();
        HttpResponse<InputStream> response = HttpClient.newHttpClient()
                .send(request, HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() != 200
                || !response.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream")) {
            throw new IllegalStateException("GET " + path + " answered " + response.statusCode() + " " + response.headers());
        }
        return new EventStream(response.body());
    }

    /** The {@code change} events so far, as JSON objects. */
    synchronized List<JsonNode> changes() {
        return received.stream().filter(event -> event.name().equals("change")).map(Received::data).toList();
    }

    /** Every event so far. */
    synchronized List<Received> all() {
        return List.copyOf(received);
    }

    /** The {@code note} texts so far. */
    synchronized List<String> notes() {
        return received.stream().filter(event -> event.name().equals("note"))
                .map(event -> event.data().get("listener").asString() + ": " + event.data().get("text").asString())
                .toList();
    }

    private void read() {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            String id = null;
            String name = "message";
            StringBuilder data = new StringBuilder();
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                if (line.isEmpty()) {
                    if (!data.isEmpty()) {
                        add(new Received(id, name, JSON.readTree(data.toString())));
                    }
                    id = null;
                    name = "message";
                    data.setLength(0);
                } else if (line.startsWith("id:")) {
                    id = line.substring("id:".length()).trim();
                } else if (line.startsWith("event:")) {
                    name = line.substring("event:".length()).trim();
                } else if (line.startsWith("data:")) {
                    data.append(line.substring("data:".length()));
                }
            }
        } catch (IOException e) {
            // closed by the test
        }
    }

    private synchronized void add(Received event) {
        received.add(event);
    }

    @Override
    public void close() {
        try {
            body.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
