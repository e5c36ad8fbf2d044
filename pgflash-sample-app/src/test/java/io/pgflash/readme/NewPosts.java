package io.pgflash.readme;

import io.pgflash.core.Operation;
import io.pgflash.spring.annotation.PgChangeListener;
import org.springframework.stereotype.Component;

// The README's first example, compiled here (outside the sample's package, so its context does not scan it; the same
// kind of listener runs in StarterIntegrationTest).
// README-START landing
record Post(long id, String title, String status) {
}

@Component
class NewPosts {
    @PgChangeListener(value = "posts", ops = Operation.INSERT, filter = "status=eq.published")
    void onPublished(Post post) {
        System.out.println("Published: " + post.title());
    }
}
// README-END landing
