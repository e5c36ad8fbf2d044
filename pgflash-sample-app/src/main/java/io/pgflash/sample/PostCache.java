package io.pgflash.sample;

import io.pgflash.core.ChangeEvent;
import io.pgflash.spring.annotation.PgChangeListener;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;

/**
 * The classic use: an in-memory copy of {@code posts} kept current by change events, whoever wrote the change (this
 * application, another one, or psql). It is loaded once before the listeners start; every change after that arrives
 * as an event. The page's post list is read from here, not from the database.
 */
@Component
public class PostCache {

    private final Map<Long, Post> posts = new ConcurrentHashMap<>();

    public PostCache(BlogRepository repository) {
        repository.findAll().forEach(post -> posts.put(post.id(), post));
    }

    @PgChangeListener(value = "posts", id = "post-cache")
    void apply(ChangeEvent event, Post post) {
        switch (event.operation()) {
            case INSERT, UPDATE -> posts.put(post.id(), post);
            case DELETE -> posts.remove(post.id());
            case TRUNCATE -> posts.clear();
        }
    }

    public List<Post> all() {
        return posts.values().stream().sorted(Comparator.comparing(Post::id)).toList();
    }
}
