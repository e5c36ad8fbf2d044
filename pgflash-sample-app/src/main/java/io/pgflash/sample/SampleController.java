package io.pgflash.sample;

import io.pgflash.core.PgFlash;
import io.pgflash.spring.boot.autoconfigure.PgFlashProperties;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/** The page's endpoints: the live feed, which driver runs, and the writes behind its buttons. */
@RestController
public class SampleController {

    private static final int MAX_BURST = 10_000;

    private final ChangeFeed feed;
    private final BlogRepository repository;
    private final PostCache cache;
    private final PgFlash flash;
    private final PgFlashProperties properties;

    public SampleController(ChangeFeed feed, BlogRepository repository, PostCache cache, PgFlash flash,
            PgFlashProperties properties) {
        this.feed = feed;
        this.repository = repository;
        this.cache = cache;
        this.flash = flash;
        this.properties = properties;
    }

    @GetMapping("/events")
    public SseEmitter events() {
        return feed.subscribe();
    }

    /** The active driver, as configured ({@code pgflash.driver}, {@code pgflash.trigger.mode}) and as running. */
    @GetMapping("/api/driver")
    public Map<String, String> driver() {
        String configured = properties.getDriver().name().toLowerCase(java.util.Locale.ROOT);
        String mode = properties.getDriver() == PgFlashProperties.Driver.TRIGGER
                ? properties.getTrigger().getMode().name().toLowerCase(java.util.Locale.ROOT)
                : "pgoutput";
        return Map.of("driver", configured, "mode", mode, "running", flash.driver().name());
    }

    /** The posts as the change-event cache has them. */
    @GetMapping("/api/posts")
    public List<Post> posts() {
        return cache.all();
    }

    @PostMapping("/api/posts")
    @ResponseStatus(HttpStatus.CREATED)
    public Map<String, Long> insert(@RequestBody NewPost post) {
        String title = post.title() == null || post.title().isBlank() ? "Untitled" : post.title();
        String status = post.status() == null ? "draft" : post.status();
        if (!List.of("draft", "published", "archived").contains(status)) {
            throw new ResponseStatusException(HttpStatus.BAD_REQUEST, "status must be draft, published or archived");
        }
        return Map.of("id", repository.insertPost(title, post.body() == null ? "" : post.body(), status));
    }

    @PostMapping("/api/posts/burst")
    public Map<String, Integer> burst(@RequestParam(defaultValue = "100") int count) {
        if (count < 1 || count > MAX_BURST) {
            throw new ResponseStatusException(HttpStatus.BAD_REQUEST, "count must be between 1 and " + MAX_BURST);
        }
        return Map.of("inserted", repository.insertPosts(count));
    }

    @PostMapping("/api/posts/{id}/publish")
    public void publish(@PathVariable long id) {
        found(repository.publish(id), id);
    }

    @PostMapping("/api/posts/{id}/title")
    public void rename(@PathVariable long id, @RequestBody NewPost post) {
        found(repository.rename(id, post.title()), id);
    }

    @PostMapping("/api/posts/{id}/comments")
    @ResponseStatus(HttpStatus.CREATED)
    public Map<String, Long> comment(@PathVariable long id, @RequestBody NewComment comment) {
        return Map.of("id", repository.addComment(id, comment.author(), comment.body()));
    }

    @DeleteMapping("/api/posts/{id}")
    public void delete(@PathVariable long id) {
        found(repository.delete(id), id);
    }

    @PostMapping("/api/truncate")
    public void truncate() {
        repository.truncate();
    }

    private static void found(int updated, long id) {
        if (updated == 0) {
            throw new ResponseStatusException(HttpStatus.NOT_FOUND, "no post " + id);
        }
    }

    public record NewPost(String title, String body, String status) {
    }

    public record NewComment(String author, String body) {
    }
}
