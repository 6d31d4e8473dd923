import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { StudyApp } from "./StudyApp";
import "../styles.css";
import "./study.css";

const root = document.getElementById("root");
if (root) createRoot(root).render(<StrictMode><StudyApp /></StrictMode>);
