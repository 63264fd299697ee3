import { Link } from "react-router";

export function NotFoundPage() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        This console has no page here. Go to <Link to="/applications">Applications</Link>.
      </p>
    </section>
  );
}
