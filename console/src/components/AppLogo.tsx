import { useState } from "react";

/** An application's logo, or its initial when it has none or the image does not load. */
export function AppLogo({ name, uri, size }: { name: string; uri: string | null | undefined; size: number }) {
  const [broken, setBroken] = useState(false);
  if (uri && !broken) {
    return <img className="app-logo" src={uri} alt="" width={size} height={size} onError={() => setBroken(true)} />;
  }
  return (
    <span className="app-logo placeholder" aria-hidden="true" style={{ width: size, height: size }}>
      {name.slice(0, 1).toUpperCase()}
    </span>
  );
}
