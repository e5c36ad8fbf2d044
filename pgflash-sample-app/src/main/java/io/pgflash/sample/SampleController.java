package io.pgflash.sample;

import io.pgflash.core.PgFlash;
import io.pgflash.core.SubscriptionSpec;
import io.pgflash.spring.boot.autoconfigure.PgFlashProperties;
import io.pgflash.spring.stream.PgFlashSse;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * The page's endpoints: the live feed, which driver runs, and the writes behind its buttons. Writes take JSON only, so
 * another web site cannot make a visitor's browser send them (a cross-site JSON request needs CORS, which is off).
 */
@RestController
public class SampleController {

    private static final int MAX_BURST = 10_000;
    private static final List<String> STATUSES = List.of("draft", "published", "archived");

    private final ChangeFeed feed;
    private final BlogRepository repository;
    private final PostCache cache;
    private final PgFlash flash;
    private final PgFlashProperties properties;
    private final PgFlashSse streams;

    public SampleController(ChangeFeed feed, BlogRepository repository, PostCache cache, PgFlash flash,
            PgFlashProperties properties, PgFlashSse streams) {
        this.feed = feed;
        this.streams = streams;
        this.repository = repository;
        this.cache = cache;
        this.flash = flash;
        this.properties = properties;
    }

    @GetMapping("/events")
    public SseEmitter events(@RequestHeader(name = "Last-Event-ID", required = false) String lastEventId) {
        return feed.subscribe(lastEventId);
    }

    /**
     * This page's own stream: the posts of one status, as a subscription of its own (a publish is an INSERT here when
     * watching published posts, an archive a DELETE). Resumes after the browser's {@code Last-Event-ID}.
     */
    @GetMapping("/events/posts")
    public SseEmitter postsWithStatus(@RequestParam String status,
            @RequestHeader(name = "Last-Event-ID", required = false) String lastEventId) {
        if (!STATUSES.contains(status)) {
            throw badRequest("status must be one of " + STATUSES + ", not '" + status + "'");
        }
        return streams.stream(SubscriptionSpec.table("posts").filter("status=eq." + status)
                .resumeAfter(lastEventId).build());
    }

    /** The active driver, as configured ({@code pgflash.driver}, {@code pgflash.trigger.mode}) and as running. */
    @GetMapping("/api/driver")
    public Map<String, String> driver() {
        String configured = properties.getDriver().name().toLowerCase(Locale.ROOT);
        String mode = properties.getDriver() == PgFlashProperties.Driver.TRIGGER
                ? properties.getTrigger().getMode().name().toLowerCase(Locale.ROOT)
                : "pgoutput";
        return Map.of("driver", configured, "mode", mode, "running", flash.driver().name());
    }

    /**
     * The newest posts as the change-event cache has them, how many it holds, and how far its snapshot got (percent of
     * the table read, -1 without an estimate; 100 once it completed).
     */
    @GetMapping("/api/posts")
    public Map<String, Object> posts(@RequestParam(defaultValue = "20") int limit) {
        Map<String, Object> snapshot = flash.snapshots().stream()
                .filter(progress -> progress.subscriptionId().equals(PostCache.LISTENER))
                .map(progress -> Map.<String, Object>of("running", progress.running(), "percent", progress.percent(),
                        "rowsRead", progress.rowsRead()))
                .findFirst().orElse(Map.of());
        return Map.of("total", cache.size(), "posts", cache.newest(Math.max(0, Math.min(limit, 1000))), "snapshot",
                snapshot);
    }

    @PostMapping(path = "/api/posts", consumes = MediaType.APPLICATION_JSON_VALUE)
    @ResponseStatus(HttpStatus.CREATED)
    public Map<String, Long> insert(@RequestBody NewPost post) {
        String status = post.status() == null ? "draft" : post.status();
        if (!STATUSES.contains(status)) {
            throw badRequest("status must be one of " + STATUSES + ", not '" + status + "'");
        }
        String title = post.title() == null || post.title().isBlank() ? "Untitled" : post.title();
        return Map.of("id", repository.insertPost(title, post.body() == null ? "" : post.body(), status));
    }

    @PostMapping(path = "/api/posts/burst", consumes = MediaType.APPLICATION_JSON_VALUE)
    public Map<String, Integer> burst(@RequestBody Burst burst) {
        if (burst.count() < 1 || burst.count() > MAX_BURST) {
            throw badRequest("count must be between 1 and " + MAX_BURST + ", not " + burst.count());
        }
        return Map.of("inserted", repository.insertPosts(burst.count()));
    }

    @PostMapping(path = "/api/posts/{id}/publish", consumes = MediaType.APPLICATION_JSON_VALUE)
    public void publish(@PathVariable long id) {
        found(repository.publish(id), id);
    }

    @PostMapping(path = "/api/posts/{id}/title", consumes = MediaType.APPLICATION_JSON_VALUE)
    public void rename(@PathVariable long id, @RequestBody NewPost post) {
        if (post.title() == null || post.title().isBlank()) {
            throw badRequest("title must not be empty");
        }
        found(repository.rename(id, post.title()), id);
    }

    @PostMapping(path = "/api/posts/{id}/comments", consumes = MediaType.APPLICATION_JSON_VALUE)
    @ResponseStatus(HttpStatus.CREATED)
    public Map<String, Long> comment(@PathVariable long id, @RequestBody NewComment comment) {
        if (comment.author() == null || comment.author().isBlank() || comment.body() == null
                || comment.body().isBlank()) {
            throw badRequest("a comment needs an author and a body");
        }
        try {
            return Map.of("id", repository.addComment(id, comment.author(), comment.body()));
        } catch (DataIntegrityViolationException e) {
            throw new ResponseStatusException(HttpStatus.NOT_FOUND, "no post " + id);
        }
    }

    @DeleteMapping("/api/posts/{id}")
    public void delete(@PathVariable long id) {
        found(repository.delete(id), id);
    }

    @PostMapping(path = "/api/truncate", consumes = MediaType.APPLICATION_JSON_VALUE)
    public void truncate() {
        repository.truncate();
    }

    private static void found(int updated, long id) {
        if (updated == 0) {
            throw new ResponseStatusException(HttpStatus.NOT_FOUND, "no post " + id);
        }
    }

    private static ResponseStatusException badRequest(String reason) {
        return new ResponseStatusException(HttpStatus.BAD_REQUEST, reason);
    }

    public record NewPost(String title, String body, String status) {
    }

    public record NewComment(String author, String body) {
    }

    public record Burst(int count) {
    }
}
