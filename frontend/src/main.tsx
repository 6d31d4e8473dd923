import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { QueryProvider } from "./api/QueryProvider";
import { App } from "./App";
import "./styles.css";

const root = document.getElementById("root");
if (root)
  createRoot(root).render(
    <StrictMode>
      <QueryProvider>
        <App />
      </QueryProvider>
    </StrictMode>,
  );
