import { StrictMode, Suspense, lazy, type ReactNode } from "react";
import { createRoot } from "react-dom/client";
import { RouterProvider, createBrowserRouter } from "react-router";
import { Provider } from "urql";
import { client } from "./client.ts";
import { Landing, Shell } from "./components/Shell.tsx";
import { Callback } from "./pages/Callback.tsx";
import { ApplicationsPage } from "./pages/Applications.tsx";
import { ConnectedAppsPage } from "./pages/ConnectedApps.tsx";
import { NotFoundPage } from "./pages/NotFound.tsx";
import "./styles.css";

// Forms and dialogs load with the pages that use them, so the first page (the list) stays small.
const CreateApplicationPage = lazy(() => import("./pages/CreateApplication.tsx").then((m) => ({ default: m.CreateApplicationPage })));
const ApplicationPage = lazy(() => import("./pages/Application.tsx").then((m) => ({ default: m.ApplicationPage })));
const MembersPage = lazy(() => import("./pages/Members.tsx").then((m) => ({ default: m.MembersPage })));
const IdentityProvidersPage = lazy(() => import("./pages/IdentityProviders.tsx").then((m) => ({ default: m.IdentityProvidersPage })));
const OrganizationsPage = lazy(() => import("./pages/Organizations.tsx").then((m) => ({ default: m.OrganizationsPage })));
const ReviewQueuePage = lazy(() => import("./pages/reviews/ReviewQueue.tsx").then((m) => ({ default: m.ReviewQueuePage })));
const ReviewPage = lazy(() => import("./pages/reviews/Review.tsx").then((m) => ({ default: m.ReviewPage })));
const later = (page: ReactNode) => <Suspense fallback={<p aria-live="polite">Loading…</p>}>{page}</Suspense>;

const router = createBrowserRouter(
  [
    { path: "/callback", element: <Callback /> },
    {
      element: <Shell />,
      children: [
        { index: true, element: <Landing /> },
        { path: "applications", element: <ApplicationsPage /> },
        { path: "applications/new", element: later(<CreateApplicationPage />) },
        { path: "applications/:id", element: later(<ApplicationPage />) },
        { path: "applications/:id/:tab", element: later(<ApplicationPage />) },
        { path: "members", element: later(<MembersPage />) },
        { path: "identity-providers", element: later(<IdentityProvidersPage />) },
        { path: "organizations", element: later(<OrganizationsPage />) },
        { path: "reviews", element: later(<ReviewQueuePage />) },
        { path: "reviews/:id", element: later(<ReviewPage />) },
        { path: "connected-apps", element: <ConnectedAppsPage /> },
        { path: "*", element: <NotFoundPage /> },
      ],
    },
  ],
  { basename: "/console" },
);

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <Provider value={client}>
      <RouterProvider router={router} />
    </Provider>
  </StrictMode>,
);
