// The explorer's shell: a header with the sections, and the page the hash route names.
import type { JSX } from 'react';
import { href, useRoute } from './router.ts';
import { StatsPage } from './pages/StatsPage.tsx';
import { NodesPage } from './pages/NodesPage.tsx';
import { NodePage } from './pages/NodePage.tsx';
import { ContractsPage, FarmsPage, TwinsPage } from './pages/ListPages.tsx';

const sections = [['', 'Statistics'], ['nodes', 'Nodes'], ['farms', 'Farms'], ['contracts', 'Contracts'], ['twins', 'Twins']] as const;

export function App(): JSX.Element {
  const route = useRoute();
  const page = (() => {
    switch (route.page) {
      case 'nodes': return route.id === undefined ? <NodesPage /> : <NodePage id={route.id} />;
      case 'farms': return <FarmsPage id={route.id} />;
      case 'contracts': return <ContractsPage id={route.id} />;
      case 'twins': return <TwinsPage key={route.id} id={route.id} />;
      default: return <StatsPage />;
    }
  })();
  return (
    <>
      <header>
        <a className="brand" href={href('')}>tfgrid explorer</a>
        <nav>{sections.map(([path, label]) => <a key={path} href={href(path)} className={route.page === path ? 'active' : ''}>{label}</a>)}</nav>
      </header>
      <main>{page}</main>
    </>
  );
}
